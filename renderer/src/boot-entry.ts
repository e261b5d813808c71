// The page's first script: a small classic script, parser-blocking and ahead of the style sheet, so it
// runs the moment the document is parsed — before the browser's first style and layout, which an async
// or module script waits behind (see vite.config.ts, which builds it). It picks the transport and starts
// the first screen's calls while the app's chunk (React and the screens) is fetched and compiled in
// parallel (modulepreload); when the answers are in it paints the connection list from them
// (first-paint.ts), and only then imports the app, whose first render replaces that paint.
import { pickTransport } from '../transport';
import { boot } from './boot';
import { paintConnectionList } from './first-paint';
import { applyTheme, rememberedTheme } from './theme';

/** The app's chunk, relative to this script: filled in by the build. */
declare const SOPHON_APP_CHUNK: string;

/** The app is imported after the first paint, or after this long without the answers (it then shows its own progress). */
const WAIT_FOR_ANSWERS_MS = 1_000;

// Before the style sheet applies: the first paint is already in the look last chosen.
applyTheme(rememberedTheme() ?? 'system');

const started = boot(pickTransport());
window.sophonBoot = started;

const answers = Promise.allSettled([started.initial.session.promise, started.initial.connections.promise]);
void Promise.race([answers, new Promise((resolve) => setTimeout(resolve, WAIT_FOR_ANSWERS_MS))])
  .then(() => {
    const root = document.getElementById('root');
    const list = started.initial.connections.outcome;
    if (root && started.initial.session.outcome?.ok && list?.ok) paintConnectionList(root, list.value.connections, window.location.hash);
  })
  // A paint that failed is only a slower first screen: the app renders it anyway.
  .catch(() => undefined)
  .finally(() =>
    import(/* @vite-ignore */ SOPHON_APP_CHUNK).catch(() => {
      // The app's chunk did not load (the dashboard stopped or was updated meanwhile): say so rather than leave a list that never answers.
      const root = document.getElementById('root');
      if (root) root.textContent = 'Sophon could not load the rest of this page. In the app, reload it; in a browser, open it again with `sophon dashboard --open`.';
    }),
  );
