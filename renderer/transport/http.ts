import { parseSseBlock } from '../../shared/client';
import type { Transport, WireEnvelope } from './types';

/**
 * In a browser, against `sophon dashboard`: POST /api/<operation> with the API token, and events from
 * GET /api/events read with fetch streaming (EventSource cannot send an Authorization header).
 *
 * The token arrives once in the URL fragment — `#token=…` (the address `sophon dashboard` prints), or
 * `#code=…` (a one-time code from `--open`, traded once at POST /auth/exchange so the token never sits
 * in a browser's argument list). The fragment is removed from the address bar and history right after
 * the first calls are sent. The token is then kept for the tab's life in sessionStorage (see
 * `tabTokenStore`), so a reload stays signed in; docs/security.md says why that is acceptable here.
 */
export function takeCredentialFromLocation(
  loc: Location = window.location,
  hist: History = window.history,
  kept: TokenStore = tabTokenStore(),
): { token: string } | { code: string } | null {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  const token = params.get('token');
  const code = params.get('code');
  if (token === null && code === null) {
    const saved = kept.load();
    return saved === null ? null : { token: saved };
  }
  // In the next task: the first calls (started with this credential in the same task) go out first;
  // a same-document navigation costs ~10 ms on a slow machine.
  setTimeout(() => hist.replaceState(null, '', loc.pathname + loc.search), 0);
  return token !== null ? { token } : { code: code! };
}

/** Where the tab keeps its token between reloads. */
export interface TokenStore {
  load(): string | null;
  save(token: string): void;
  forget(): void;
}

const TOKEN_KEY = 'sophon.dashboard.token';

/**
 * sessionStorage: one tab's, gone when the tab closes, never sent to a server, not shared with other
 * tabs or windows (a new tab without the address is not signed in). Readable by script on this origin
 * only; the CSP (default-src 'self', no inline script) and the absence of third-party script are what
 * keep other script off it. Storage that is not there (blocked, opaque origin) just means no reloads.
 */
export function tabTokenStore(): TokenStore {
  const storage = (): Storage | null => {
    try {
      return window.sessionStorage;
    } catch {
      return null;
    }
  };
  const attempt = (fn: (s: Storage) => void) => {
    try {
      const s = storage();
      if (s) fn(s);
    } catch {
      // full or blocked: the session still works until the tab reloads
    }
  };
  return {
    load: () => {
      try {
        return storage()?.getItem(TOKEN_KEY) ?? null;
      } catch {
        return null;
      }
    },
    save: (token) => attempt((s) => s.setItem(TOKEN_KEY, token)),
    forget: () => attempt((s) => s.removeItem(TOKEN_KEY)),
  };
}

/** The token, or why there is none (a one-time code that was unknown, used or expired). */
export type TokenResult = { token: string | null } | { error: { code: string; message: string } };

/** Trades a one-time code for the token at POST /auth/exchange. */
export async function exchangeCode(code: string, base = ''): Promise<TokenResult> {
  try {
    const res = await fetch(`${base}/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }), credentials: 'omit', cache: 'no-store' });
    const body = (await res.json()) as WireEnvelope;
    const value = body.ok ? body.value : null;
    if (typeof value === 'object' && value !== null && 'token' in value && typeof value.token === 'string') return { token: value.token };
    return { error: body.error ?? { code: 'unauthorized', message: 'The one-time code was refused.' } };
  } catch {
    return { error: { code: 'dashboard_unreachable', message: 'The Sophon dashboard server is not answering.' } };
  }
}

const RECONNECT_MS = 1_000;

export function httpTransport(tokenSource: Promise<TokenResult> | TokenResult, base = '', kept: TokenStore = tabTokenStore()): Transport {
  const tokenReady = Promise.resolve(tokenSource).then((t) => {
    if ('token' in t && t.token) kept.save(t.token);
    return t;
  });
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let stream: AbortController | null = null;
  const authHeaders = async (): Promise<Record<string, string>> => {
    const t = await tokenReady;
    return 'token' in t && t.token ? { authorization: `Bearer ${t.token}` } : {};
  };

  async function invoke(operation: string, input: unknown): Promise<WireEnvelope> {
    const t = await tokenReady;
    if ('error' in t) return { ok: false, error: t.error };
    let res: Response;
    try {
      res = await fetch(`${base}/api/${encodeURIComponent(operation)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await authHeaders()) },
        body: JSON.stringify(input ?? {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      return { ok: false, error: { code: 'dashboard_unreachable', message: 'The Sophon dashboard server is not answering.' } };
    }
    try {
      const body = (await res.json()) as WireEnvelope;
      // A refused token (revoked, or from an older dashboard) is not kept for the next reload.
      if (res.status === 401) kept.forget();
      if (typeof body === 'object' && body !== null && typeof body.ok === 'boolean') return body;
    } catch {
      // fall through: not an envelope
    }
    if (res.status === 401) kept.forget();
    return { ok: false, error: { code: res.status === 401 ? 'unauthorized' : 'internal', message: `The dashboard answered HTTP ${res.status}.` } };
  }

  function dispatch(event: string, payload: unknown): void {
    for (const l of listeners.get(event) ?? []) l(payload);
  }

  async function readStream(signal: AbortSignal): Promise<void> {
    if ('error' in (await tokenReady)) return;
    while (!signal.aborted) {
      try {
        const res = await fetch(`${base}/api/events`, { headers: { accept: 'text/event-stream', ...(await authHeaders()) }, signal, credentials: 'omit', cache: 'no-store' });
        // Not signed in: retrying cannot help (the page shows why, from the operations' answers).
        if (res.status === 401) return;
        if (res.ok && res.body) {
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            buffer = buffer.replace(/\r\n?/g, '\n');
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const parsed = parseSseBlock(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              if (parsed) dispatch(parsed.event, parsed.data);
            }
          }
        }
      } catch {
        // dropped or refused: try again shortly
      }
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, RECONNECT_MS));
    }
  }

  return {
    kind: 'http',
    invoke,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      if (!stream) {
        stream = new AbortController();
        void readStream(stream.signal);
      }
      return () => {
        set.delete(listener);
        if ([...listeners.values()].every((s) => s.size === 0) && stream) {
          stream.abort();
          stream = null;
        }
      };
    },
  };
}
