import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuthError } from './errors';

/** What the browser tab shows after the redirect. */
export interface CallbackPage {
  ok: boolean;
  message: string;
}

export interface LoopbackCallback {
  /** The full redirect URL, query included (holds the authorization code: never log it). */
  url: URL;
  /** Answers the waiting browser tab and shuts the listener down. Called once; later calls do nothing. */
  respond(page: CallbackPage): void;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`: register loopback redirects for the app (RFC 8252 §7.3). */
  redirectUri: string;
  /** The first redirect to the callback path. Rejects with OAuthError('timeout' | 'cancelled'). */
  callback: Promise<LoopbackCallback>;
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

export interface LoopbackOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  path?: string;
  /** A provider that matches the redirect's port exactly needs this one; otherwise the OS picks a free port. */
  port?: number;
}

/** If the flow never answers the tab (a bug), it is answered anyway after this long. */
const RESPOND_GRACE_MS = 60_000;

/**
 * A one-shot redirect listener on 127.0.0.1 with a port the OS picks. It takes exactly one request to its
 * callback path, hands it to the flow, answers the tab with what the flow says, and shuts down. Other paths
 * (a favicon) get a 404 and do not count.
 */
export async function startLoopback(options: LoopbackOptions): Promise<LoopbackListener> {
  const path = options.path ?? '/callback';
  let settle: { resolve: (cb: LoopbackCallback) => void; reject: (err: Error) => void } | undefined;
  const callback = new Promise<LoopbackCallback>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that closes early without awaiting should not crash the process with an unhandled rejection.
  callback.catch(() => undefined);
  let taken = false;
  let closed = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', redirectBase());
    if (url.pathname !== path || taken) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'cache-control': 'no-store' }).end();
      return;
    }
    taken = true;
    clearTimeout(timer);
    server.close();
    let answered = false;
    const respond = (page: CallbackPage) => {
      if (answered) return;
      answered = true;
      clearTimeout(grace);
      res.on('finish', () => server.closeAllConnections());
      res
        .writeHead(page.ok ? 200 : 400, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
          'referrer-policy': 'no-referrer',
          connection: 'close',
        })
        .end(renderPage(page));
    };
    const grace = setTimeout(() => respond({ ok: false, message: 'Sophon did not finish the sign-in. Return to Sophon and try again.' }), RESPOND_GRACE_MS);
    grace.unref();
    settle?.resolve({ url, respond });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        options.port && err.code === 'EADDRINUSE'
          ? new OAuthError('unreachable', `The sign-in needs port ${options.port} on 127.0.0.1 (the redirect registered with the provider), and another program is using it. Close that program and try again.`)
          : err,
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  function redirectBase(): string {
    return `http://127.0.0.1:${port}`;
  }

  const stop = (err: OAuthError) => {
    if (taken) return;
    taken = true;
    settle?.reject(err);
    void close();
  };
  const timer = setTimeout(
    () => stop(new OAuthError('timeout', `The sign-in was not finished within ${Math.round(options.timeoutMs / 1000)} seconds; nothing was stored. Start again when ready.`)),
    options.timeoutMs,
  );
  const onAbort = () => stop(new OAuthError('cancelled', 'The sign-in was cancelled; nothing was stored.'));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  async function close(): Promise<void> {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (closed) return;
    closed = true;
    if (!taken) {
      taken = true;
      settle?.reject(new OAuthError('cancelled', 'The sign-in was cancelled; nothing was stored.'));
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  return { redirectUri: `${redirectBase()}${path}`, callback, close };
}

function renderPage(page: CallbackPage): string {
  const title = page.ok ? 'Signed in' : 'Sign-in did not finish';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sophon: ${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head><body><h1>${title}</h1><p id="sophon-message">${escapeHtml(page.message)}</p><p>You can close this tab and return to Sophon.</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
