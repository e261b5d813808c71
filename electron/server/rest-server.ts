import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Envelope } from '../../shared/contract';
import type { ErrorCode } from '../../shared/errors';
import { APP_CSP } from '../../shared/security';
import { HTTP_STATUS_OF_CODE } from '../../shared/operations';
import { dispatch } from '../core/api/dispatch';
import { SophonError } from '../core/errors';
import type { EventHub } from '../core/api/events';
import type { OperationImpls } from '../core/api/operations';
import type { ApiCaller, ApiTokenStore } from '../core/api-tokens/token-store';
import { watchRevocations } from './revocation-watch';
import { log, logEnabled, logFailure } from '../core/log/log';
import { bearerToken, listenLocally, loopbackGuard } from './loopback-guard';

/** Largest JSON body the API accepts (a connection add with its fields is a few KB). */
export const MAX_BODY_BYTES = 64 * 1024;

export const CSP = APP_CSP;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // Origin-keyed agent cluster (no document.domain, and Chromium keeps the origin in a process of its own
  // where it can) — not Cross-Origin-Opener-Policy: COOP makes a browser swap the new tab's renderer
  // process for the dashboard on every open (~115 ms here); the cross-window handles it would cut give
  // nothing to read (the token is only in the page's memory, frames are refused) — docs/rest-api.md, "Every request is checked".
  'Origin-Agent-Cluster': '?1',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * One-time codes for opening the dashboard without putting the token in a process's arguments
 * (`sophon dashboard --open` runs the system browser with `#code=…`): the page trades the code once,
 * within a minute, for the token at `POST /auth/exchange`.
 */
export class OneTimeCodes {
  private readonly codes = new Map<string, { token: string; expires: number }>();

  issue(token: string, ttlMs = 60_000): string {
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { token, expires: Date.now() + ttlMs });
    return code;
  }

  redeem(code: string): string | null {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    return entry && entry.expires >= Date.now() ? entry.token : null;
  }
}

export interface RestServerOptions {
  operations: OperationImpls;
  tokens: Pick<ApiTokenStore, 'authenticate' | 'activeIds'>;
  events: EventHub;
  /** The built renderer (dist/renderer); GET / serves its index.html. */
  rendererDir: string;
  host?: string;
  port?: number;
  codes?: OneTimeCodes;
  /** Called when an SSE stream subscribes, so the event source notes the user's current state. */
  onSubscribe?: (userId: string) => void;
  /** How often, while a stream or request is open, the token file is looked at for revocations (default 500 ms). */
  revocationCheckMs?: number;
}

export interface RestServer {
  server: Server;
  host: string;
  port: number;
  /** Base URL (`http://127.0.0.1:PORT`). */
  url: string;
  close(): Promise<void>;
}

/** A Vite build's content-hashed asset (`/assets/index-CChtV7cE.js`). */
const HASHED_ASSET = /^\/assets\/[\w.-]+-[\w-]{8}\.(?:js|css|svg|png|woff2)$/;

export { isLoopbackHost } from './loopback-guard';

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The REST API over the shared contract (`POST /api/<operation>`, `GET /api/events`) and the built
 * renderer as a browser dashboard. Every request passes, in order: the Host check (DNS rebinding: only
 * this server's own loopback name and port), the Origin check (absent or this origin: no cross-site
 * calls), then for /api/ the bearer token, the body cap and JSON parsing; the operation's input is then
 * validated against the contract by the shared dispatcher.
 */
export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer();
  const revocations = watchRevocations(options.tokens, options.revocationCheckMs);
  const { port, sockets } = await listenLocally(server, host, options.port);
  const refusedOrigin = loopbackGuard(host, port);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((err: unknown) => {
      // Its text could hold data: the kind at error level, the message only at debug (as dispatch does).
      log('error', 'rest.request_failed', { code: 'internal', kind: err instanceof Error ? err.name : typeof err });
      if (logEnabled('debug')) logFailure('rest.request_failed.detail', err);
      if (!res.headersSent) send(res, 500, { ok: false, error: { code: 'internal', message: 'Unexpected error inside Sophon.' } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const refused = refusedOrigin(req);
      if (refused) throw new HttpRefusal(403, 'forbidden', refused);

      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      if (url.pathname === '/auth/exchange') {
        if (req.method !== 'POST') throw new HttpRefusal(405, 'usage', 'Use POST for /auth/exchange.');
        const body = await readJson(req);
        const code = typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string' ? body.code : '';
        const token = code ? (options.codes?.redeem(code) ?? null) : null;
        if (!token) throw new HttpRefusal(401, 'unauthorized', 'The one-time code is unknown, used or expired: run `sophon dashboard` again, or use the address it printed.');
        return send(res, 200, { ok: true, value: { token } });
      }
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') throw new HttpRefusal(405, 'usage', 'Use GET for /api/events.');
        return streamEvents(req, res, await authenticate(req));
      }
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') throw new HttpRefusal(405, 'usage', `Use POST for ${url.pathname} (JSON body = the operation's input).`);
        const caller = await authenticate(req);
        // A revocation ends the request at once: a caller waiting on a long operation (a sign-in, a
        // person's choice) gets no answer its token no longer entitles it to.
        let revoked = false;
        const abort = new AbortController();
        const untrack = revocations.track({
          tokenId: caller.tokenId,
          end: () => {
            revoked = true;
            abort.abort();
            if (res.headersSent) return void res.destroy();
            res.setHeader('Connection', 'close');
            send(res, 401, { ok: false, error: { code: 'unauthorized', message: REVOKED_MESSAGE } });
          },
        });
        try {
          const input = await readJson(req);
          let name: string;
          try {
            name = decodeURIComponent(url.pathname.slice('/api/'.length));
          } catch {
            throw new HttpRefusal(404, 'not_found', 'No such operation (malformed name).');
          }
          const envelope = await dispatch(options.operations, caller, name, input, abort.signal);
          if (revoked) return;
          return send(res, envelope.ok ? 200 : HTTP_STATUS_OF_CODE[envelope.error.code], envelope);
        } catch (err) {
          if (revoked) return;
          throw err;
        } finally {
          untrack();
        }
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpRefusal(405, 'usage', `Use GET for ${url.pathname}.`);
      return await serveStatic(url.pathname, req, res);
    } catch (err) {
      if (err instanceof HttpRefusal) {
        if (err.status === 405) res.setHeader('Allow', req.url?.startsWith('/api/events') ? 'GET' : req.url?.startsWith('/api/') ? 'POST' : 'GET, HEAD');
        if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="sophon"');
        // An oversize body is not read on: the connection closes after the answer.
        if (err.status === 413) res.setHeader('Connection', 'close');
        return send(res, err.status, { ok: false, error: { code: err.code, message: err.message } });
      }
      // E.g. a damaged api-tokens.json while authenticating: its message names the file, never a token.
      if (err instanceof SophonError) return send(res, HTTP_STATUS_OF_CODE[err.code], { ok: false, error: { code: err.code, message: err.message } });
      throw err;
    }
  }

  async function authenticate(req: IncomingMessage): Promise<ApiCaller> {
    const header = req.headers.authorization;
    if (!header) throw new HttpRefusal(401, 'unauthorized', 'An API token is required: send "Authorization: Bearer <token>" (`sophon dashboard` prints the dashboard address with one; `sophon api-token create` issues more).');
    const caller = await options.tokens.authenticate(bearerToken(req));
    if (!caller) throw new HttpRefusal(401, 'unauthorized', 'The API token is not valid (unknown, revoked, or mistyped).');
    return caller;
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    // A form or text/plain POST needs no CORS preflight; JSON only keeps browsers honest too.
    if (type !== 'application/json') throw new HttpRefusal(415, 'invalid_input', 'The body must be JSON, with "Content-Type: application/json".');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > MAX_BODY_BYTES) throw new HttpRefusal(413, 'too_large', `The request body is ${declared} bytes; the API accepts at most ${MAX_BODY_BYTES}.`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpRefusal(413, 'too_large', `The request body is over ${MAX_BODY_BYTES} bytes, the most the API accepts.`);
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      // Never quote the body (it may hold a secret): only where it broke.
      const pos = /position (\d+)/.exec(err instanceof Error ? err.message : '');
      throw new HttpRefusal(400, 'invalid_input', `The request body is not valid JSON${pos ? ` (at character ${pos[1]})` : ''}.`);
    }
  }

  function streamEvents(req: IncomingMessage, res: ServerResponse, caller: ApiCaller): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(': connected\n\n');
    let open = true;
    // Each event waits for a look at the token file, in order, so none goes out after a revocation.
    let delivering: Promise<void> = Promise.resolve();
    const unsubscribe = options.events.subscribe(caller.userId, (event, payload) => {
      const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
      delivering = delivering.then(async () => {
        if (open && (await revocations.check(caller.tokenId)) && open) res.write(frame);
      });
    });
    options.onSubscribe?.(caller.userId);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    const stop = () => {
      if (!open) return;
      open = false;
      clearInterval(keepAlive);
      unsubscribe();
      untrack();
    };
    // The stream ends; the dashboard page reconnects, gets 401, and stops trying (renderer/transport/http.ts).
    const untrack = revocations.track({
      tokenId: caller.tokenId,
      end: () => {
        stop();
        res.end(': token revoked\n\n');
      },
    });
    req.on('close', stop);
    res.on('close', stop);
  }

  async function serveStatic(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      throw new HttpRefusal(400, 'invalid_input', 'Malformed path.');
    }
    if (rel.includes('\0')) throw new HttpRefusal(400, 'invalid_input', 'Malformed path.');
    if (rel === '/' || rel === '') rel = '/index.html';
    const root = normalize(options.rendererDir + sep);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root)) throw new HttpRefusal(404, 'not_found', 'Not found.');
    let st;
    try {
      st = await fsp.stat(file);
    } catch {
      st = null;
    }
    if (!st?.isFile()) {
      if (rel === '/index.html') {
        throw new HttpRefusal(404, 'not_found', `The dashboard is not built (no ${join(options.rendererDir, 'index.html')}): run \`npm run build\`. The REST API under /api/ works without it.`);
      }
      throw new HttpRefusal(404, 'not_found', 'Not found.');
    }
    // Vite names every asset by a hash of its content: a browser may keep one forever (and keep V8's
    // compiled code for it), so a second visit starts without fetching or compiling the bundle again.
    // index.html, which names the current hashes, is never stored.
    const immutable = HASHED_ASSET.test(rel);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      ...(immutable ? { 'Cache-Control': 'public, max-age=31536000, immutable' } : {}),
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': st.size,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  return {
    server,
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        revocations.stop();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

const REVOKED_MESSAGE = 'The API token was revoked while this request was open.';

function send(res: ServerResponse, status: number, body: Envelope): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
