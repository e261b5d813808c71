// The first screen's calls, started before the app is evaluated (see boot-entry.ts), and handed to it.
import { createApi, type Invoke } from '../../shared/client';
import type { Out, SophonApi } from '../../shared/contract';
import type { Transport } from '../transport';

/**
 * A call started at boot, with its outcome recorded once it settles: the app usually finishes loading
 * after the answers arrived, and its first render then shows them instead of a spinner and a second pass.
 */
export interface Early<T> {
  promise: Promise<T>;
  outcome: { ok: true; value: T } | { ok: false; error: unknown } | null;
}

function early<T>(promise: Promise<T>): Early<T> {
  const e: Early<T> = { promise, outcome: null };
  // Also keeps a failure from being an unhandled rejection before the app looks at it.
  promise.then(
    (value) => (e.outcome = { ok: true, value }),
    (error: unknown) => (e.outcome = { ok: false, error }),
  );
  return e;
}

export interface Boot {
  transport: Transport;
  api: SophonApi;
  initial: { session: Early<Out<'session.info'>>; connections: Early<Out<'connections.list'>> };
}

export function boot(transport: Transport): Boot {
  const api = createApi(transport.invoke as Invoke);
  return { transport, api, initial: { session: early(api['session.info']({})), connections: early(api['connections.list']({})) } };
}

declare global {
  interface Window {
    /** Set by the boot script (boot-entry.ts) for the app (main.tsx). */
    sophonBoot?: Boot;
  }
}
