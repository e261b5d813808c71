import { parseSseBlock } from '../../shared/client';
import type { Transport, WireEnvelope } from './types';

/**
 * In a browser, against `sophon dashboard`: POST /api/<operation> with the API token, and events from
 * GET /api/events read with fetch streaming (EventSource cannot send an Authorization header).
 *
 * The token arrives once in the URL fragment (#token=…). It is read at start, kept only in this
 * module's memory, and removed from the address bar and history at once.
 */
export function takeTokenFromLocation(loc: Location = window.location, hist: History = window.history): string | null {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token === null) return null;
  hist.replaceState(null, '', loc.pathname + loc.search);
  return token;
}

const RECONNECT_MS = 1_000;

export function httpTransport(token: string | null, base = ''): Transport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let stream: AbortController | null = null;
  const authHeaders = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

  async function invoke(operation: string, input: unknown): Promise<WireEnvelope> {
    let res: Response;
    try {
      res = await fetch(`${base}/api/${encodeURIComponent(operation)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders() },
        body: JSON.stringify(input ?? {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      return { ok: false, error: { code: 'dashboard_unreachable', message: 'The Sophon dashboard server is not answering.' } };
    }
    try {
      const body = (await res.json()) as WireEnvelope;
      if (typeof body === 'object' && body !== null && typeof body.ok === 'boolean') return body;
    } catch {
      // fall through: not an envelope
    }
    return { ok: false, error: { code: res.status === 401 ? 'unauthorized' : 'internal', message: `The dashboard answered HTTP ${res.status}.` } };
  }

  function dispatch(event: string, payload: unknown): void {
    for (const l of listeners.get(event) ?? []) l(payload);
  }

  async function readStream(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch(`${base}/api/events`, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal, credentials: 'omit', cache: 'no-store' });
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
