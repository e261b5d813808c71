import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import type { ApiCall, ApiResult, Broker } from '../../core/broker/broker';
import { BrokerRefusal, METHODS } from '../../core/broker/request-guard';
import { describeIssues } from '../../core/validation/parse';
import { log, logEnabled, logFailure } from '../../core/log/log';

export interface BrokerServerOptions {
  /** 0 (default): any free port. Always bound to 127.0.0.1. */
  port?: number;
  maxRequestBytes: number;
  /** Slow-loris protection: all headers within this time (default 10 s)… */
  headersTimeoutMs?: number;
  /** …and the whole request within this (default 30 s). */
  requestTimeoutMs?: number;
  /** How often Node checks those timeouts (default 1 s). */
  checkIntervalMs?: number;
}

export interface BrokerServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const ExecuteSchema = z.strictObject({
  connection: z.string().min(1).max(128),
  method: z.string().min(1).max(16).default('GET'),
  path: z.string().max(8192),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  bodyEncoding: z.enum(['utf8', 'base64']).default('utf8'),
});

const CONNECTION_SEGMENT = /^[a-z0-9][a-z0-9.-]{0,63}$/;

const ALLOW = [...METHODS].join(', ');

/** How long a refused client may go on sending (its bytes read and dropped) after its answer, before the socket is closed. */
const LINGER_MS = 2_000;

/**
 * The broker's loopback HTTP door. Two forms, one code path (Broker.execute):
 *   METHOD /v1/proxy/<connection>/<path on the service's base URL>   → the service's answer, redacted
 *   POST   /v1/execute  {connection, method, path, headers, body}     → {status, headers, body, bodyEncoding}
 * The broker token comes in `Authorization: Bearer …` or `X-Sophon-Broker-Token`. Refusals answer
 * `{"error": {"code", "message"}}` with the status listed in docs/broker-and-skills.md.
 */
export async function startBrokerServer(broker: Broker, options: BrokerServerOptions): Promise<BrokerServer> {
  let port = 0;
  let ownHosts = new Set<string>();
  const sockets = new Set<Socket>();
  // Sockets whose request was already answered and audited as refused: what they do next (hang up, time out,
  // send more bytes) is not another request and gets no second audit row.
  const settled = new WeakSet<Socket>();
  let inflight = 0;
  let idle: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionsCheckingInterval: options.checkIntervalMs ?? 1_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      // A call is in flight until its handler is done (answered and audited), not until its socket closes: a
      // caller that hangs up while the service is still answering must not let close() flush before its row.
      inflight++;
      handle(broker, req, res, port, ownHosts, options.maxRequestBytes, settled)
        .catch((err: unknown) => {
          log('error', 'broker.request_failed', { code: 'internal', kind: err instanceof Error ? err.name : typeof err });
          if (logEnabled('debug')) logFailure('broker.request_failed.detail', err);
          if (!res.headersSent) sendError(res, new BrokerRefusal(500, 'internal', 'The broker failed unexpectedly.'));
          else res.destroy();
        })
        .finally(() => {
          inflight--;
          if (inflight === 0) idle?.();
        });
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Malformed requests (CR/LF in a header, bad framing, an unknown method) and slow clients: refused and audited.
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    // A caller that closed or reset its connection mid-request (HPE_INVALID_EOF_STATE: the end came mid-message)
    // is not refused here: a body cut short is audited as `aborted` by the request's own handler, and half a
    // request line or header block is nothing to audit. A request refused already was audited then.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'HPE_INVALID_EOF_STATE' || settled.has(socket)) {
      socket.destroy();
      return;
    }
    settled.add(socket);
    const refusal = clientRefusal(err.code);
    broker.auditRefusal(refusal.code, refusal.detail);
    if (socket.writable) {
      socket.end(rawAnswer(refusal.status, refusal.code, refusal.message, refusal.code === 'method_not_allowed' ? { Allow: ALLOW } : {}));
    } else socket.destroy();
  });
  // CONNECT is answered here, not as a request (Node hands it over as a raw tunnel): the broker makes no tunnels.
  // An Upgrade (no 'upgrade' listener) stays an ordinary request, and Upgrade is not forwarded.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => socket.destroy());
    broker.auditRefusal('method_not_allowed', `CONNECT ${(req.url ?? '').slice(0, 160)}: the broker makes no tunnels`);
    socket.end(rawAnswer(405, 'method_not_allowed', `CONNECT is not forwarded; use ${ALLOW} on /v1/proxy/<connection>/<path>.`, { Allow: ALLOW }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  ownHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () => (closing ??= stop()),
  };

  // Stops accepting, lets calls in flight finish (at most 5 s) so each is answered and audited, then closes the
  // broker, which audits what is still running as stopped and flushes the audit.
  async function stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inflight > 0) {
      await new Promise<void>((resolve) => {
        idle = resolve;
        setTimeout(resolve, 5_000).unref();
      });
    }
    for (const s of sockets) s.destroy();
    await closed;
    broker.close();
  }
}

/** The answer to a request the HTTP parser refused (or timed out) before it became a request. */
function clientRefusal(errCode: string | undefined): { status: number; code: string; message: string; detail: string } {
  if (errCode === 'ERR_HTTP_REQUEST_TIMEOUT' || errCode === 'ERR_HTTP_HEADERS_TIMEOUT') {
    return { status: 408, code: 'request_timeout', message: 'The request was not received in time.', detail: 'the client did not send its request in time' };
  }
  if (errCode === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'headers_too_large', message: 'The request headers are too large.', detail: 'headers over the limit' };
  if (errCode === 'HPE_INVALID_METHOD') {
    return { status: 405, code: 'method_not_allowed', message: `The method is not forwarded; use ${ALLOW}.`, detail: 'a method the HTTP parser does not know' };
  }
  return { status: 400, code: 'bad_request', message: 'The request is malformed.', detail: `malformed request (${errCode ?? 'parse error'})` };
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** A whole JSON error answer as bytes, for a socket the HTTP server no longer answers through. */
function rawAnswer(status: number, code: string, message: string, extra: Record<string, string> = {}): string {
  const body = JSON.stringify({ error: { code, message } });
  const head = Object.entries({ 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', ...extra, Connection: 'close' });
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${head.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${body}`;
}

async function handle(
  broker: Broker,
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  ownHosts: ReadonlySet<string>,
  maxBytes: number,
  settled: WeakSet<Socket>,
): Promise<void> {
  const raw = req.url ?? '';
  try {
    // The broker is for local processes: a browser page (Origin) or a rebound name (Host) is refused.
    const host = (req.headers.host ?? '').toLowerCase();
    if (!ownHosts.has(host)) {
      throw new BrokerRefusal(400, 'host_header', `The Host header must be 127.0.0.1:${port}.`);
    }
    if (req.headers.origin !== undefined) throw new BrokerRefusal(403, 'origin_refused', 'Requests from web pages (with an Origin header) are refused.');
    if (!raw.startsWith('/')) throw new BrokerRefusal(400, 'absolute_url', 'Send a path (origin-form), not an absolute URL: the broker decides the host.');
    if (!METHODS.has(req.method ?? '')) throw new BrokerRefusal(405, 'method_not_allowed', `Method ${(req.method ?? '').slice(0, 20)} is not forwarded; use ${ALLOW}.`);
    if (raw === '/v1/health' && req.method === 'GET') {
      send(res, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') });
      return;
    }
    const token = bearer(req);
    const claimedSkill = typeof req.headers['x-sophon-skill'] === 'string' ? req.headers['x-sophon-skill'] : undefined;
    const m = /^\/v1\/proxy\/([^/?#]+)(\/.*|\?.*)?$/s.exec(raw);
    if (m) {
      const connection = m[1]!;
      if (!CONNECTION_SEGMENT.test(connection)) throw new BrokerRefusal(400, 'bad_connection', 'The connection segment must be a connection id or a service id.');
      const body = await readBody(req, maxBytes);
      const rest = m[2] ?? '/';
      const call: ApiCall = { token, connection, method: req.method ?? 'GET', target: rest.startsWith('?') ? `/${rest}` : rest, headers: req.headers, body, claimedSkill };
      send(res, await broker.execute(call));
      return;
    }
    if (raw === '/v1/execute') {
      if (req.method !== 'POST') throw new BrokerRefusal(405, 'method_not_allowed', 'POST an instruction to /v1/execute.');
      const text = ((await readBody(req, maxBytes * 2)) ?? Buffer.alloc(0)).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new BrokerRefusal(400, 'bad_instruction', 'The instruction is not valid JSON.');
      }
      const parsed = ExecuteSchema.safeParse(json);
      if (!parsed.success) throw new BrokerRefusal(400, 'bad_instruction', describeIssues(parsed.error));
      const i = parsed.data;
      const body = i.body === undefined ? undefined : Buffer.from(i.body, i.bodyEncoding);
      if (body && body.length > maxBytes) throw new BrokerRefusal(413, 'body_too_large', `The request body is larger than ${maxBytes} bytes.`);
      const result = await broker.execute({ token, connection: i.connection, method: i.method, target: i.path, headers: i.headers, body, claimedSkill });
      const utf8 = isUtf8(result.body);
      const out = { status: result.status, headers: result.headers, body: result.body.toString(utf8 ? 'utf8' : 'base64'), bodyEncoding: utf8 ? 'utf8' : 'base64' };
      send(res, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(out)) });
      return;
    }
    throw new BrokerRefusal(404, 'not_found', 'Use /v1/proxy/<connection>/<path> or POST /v1/execute.');
  } catch (err) {
    const refusal = err instanceof BrokerRefusal ? err : new BrokerRefusal(500, 'internal', 'The broker failed unexpectedly.');
    // Refusals from Broker.execute are audited there; the door's own are audited here, unless the HTTP parser
    // refused the same request first (a malformed chunked body, a timeout): that was its one row.
    const answered = settled.has(req.socket);
    if (!refusal.audited && !answered) {
      broker.auditRefusal(refusal.code, `${(req.method ?? '').slice(0, 10)} ${raw.split('?')[0]!.slice(0, 160)}: ${refusal.message}`, refusal.outcome);
    }
    if (answered || req.socket.destroyed) return;
    const allow: Record<string, string> = refusal.code === 'method_not_allowed' ? { allow: raw === '/v1/execute' ? 'POST' : ALLOW } : {};
    if (req.complete) {
      sendError(res, refusal, allow);
      return;
    }
    // The body was not read to its end (too large, or never wanted): answer, then close. Closing at once would
    // make the kernel reset the connection over the unread bytes, and the reset can overtake the answer; so the
    // rest is read and dropped for a moment (the client sees the answer and stops) before the socket closes.
    settled.add(req.socket);
    req.removeAllListeners('data');
    req.resume();
    lingerOnClose(req.socket);
    sendError(res, refusal, { ...allow, connection: 'close' });
  }
}

/** Replaces the socket's close-after-answer (Node's destroySoon) with: end our side, drain theirs, close when they do or after LINGER_MS. */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    this.resume();
  };
}

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const x = req.headers['x-sophon-broker-token'];
  return typeof x === 'string' ? x.trim() : undefined;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) return Promise.reject(new BrokerRefusal(413, 'body_too_large', `The request body is larger than ${max} bytes (Sophon.Broker.MaxRequestBytes).`));
  // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112 §6.3): no need to wait for its end.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new BrokerRefusal(413, 'body_too_large', `The request body is larger than ${max} bytes (Sophon.Broker.MaxRequestBytes).`));
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(size ? Buffer.concat(chunks) : undefined));
    // A client that hangs up mid-body (Node reports it as an 'aborted' error): audited as such, not as a failure of the broker.
    req.on('error', () => reject(new BrokerRefusal(400, 'aborted', 'The client closed the connection before its request was complete.', 'aborted')));
  });
}

function send(res: ServerResponse, r: ApiResult): void {
  // A flat [name, value, …] list: Node writes it as is, without building and checking a header object.
  const flat: string[] = [];
  for (const name in r.headers) {
    const value = r.headers[name]!;
    if (Array.isArray(value)) for (const v of value) flat.push(name, v);
    else flat.push(name, value);
  }
  flat.push('content-length', String(r.body.length));
  res.writeHead(r.status, flat);
  res.end(r.body);
}

function sendError(res: ServerResponse, e: BrokerRefusal, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const body = Buffer.from(JSON.stringify({ error: { code: e.code, message: e.message } }));
  res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': String(body.length), 'cache-control': 'no-store', ...extra });
  res.end(body);
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}
