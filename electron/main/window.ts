import type { BrowserWindow, BrowserWindowConstructorOptions, Shell } from 'electron';
import { navigationAllowed, windowOpenDecision } from './policy';

export interface WindowDeps {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  shell: Pick<Shell, 'openExternal'>;
}

/** The app window's web preferences: isolated, sandboxed, no Node in the page. */
export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const satisfies BrowserWindowConstructorOptions['webPreferences'];

/**
 * The one app window. It never navigates away from the app (links and redirects to anything but
 * app://sophon are prevented), never opens another window, and hands https links — OAuth sign-in
 * pages — to the system browser. `entryUrl` is app://sophon/index.html plus an optional #route.
 */
export function createAppWindow(deps: WindowDeps, options: { preload: string; entryUrl: string; icon?: string }): BrowserWindow {
  const win = new deps.BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Sophon',
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: { ...WEB_PREFERENCES, preload: options.preload },
  });
  const contents = win.webContents;
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenDecision(url) === 'external') void deps.shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!navigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!navigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.entryUrl);
  return win;
}
