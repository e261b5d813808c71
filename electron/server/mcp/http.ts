import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { ApiCaller, ApiTokenStore } from '../../core/api-tokens/token-store';
import { log } from '../../core/log/log';
import type { Core } from '../../core/sophon-core';
import { bearerToken, listenLocally, loopbackGuard } from '../loopback-guard';
import { watchRevocations } from '../revocation-watch';
import { createMcpSession } from './server';

/** The one path the door answers on. */
export const MCP_PATH = '/mcp';
/** Largest JSON-RPC message accepted (a tool call carries at most the broker's request body, 1 MiB by default, JSON-escaped). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface McpHttpOptions {
  /** The MCP agents' tokens (`config/mcp-tokens.json`): each names one user and one agent. */
  tokens: Pick<ApiTokenStore, 'authenticate' | 'activeIds'>;
  version: string;
  port?: number;
  /** How often, while a session is open, the token file is looked at for revocations (default 500 ms). */
  revocationCheckMs?: number;
}

export interface McpHttpServer {
  port: number;
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  close(): Promise<void>;
}

interface OpenSession {
  transport: StreamableHTTPServerTransport;
  tokenId: string;
}

/**
 * The MCP door over Streamable HTTP, on 127.0.0.1 only. Every request passes the REST API's loopback checks
 * (Host and Origin: a DNS-rebinding page gets 403), then a bearer token of `mcp-tokens.json` (401 otherwise):
 * the token is the agent, for its user. A session belongs to the token that opened it: another token
 * presenting its id is told it does not exist. A revoked token's sessions end at once.
 */
export async function startMcpHttp(core: Core, options: McpHttpOptions): Promise<McpHttpServer> {
  const host = '127.0.0.1';
  const server = createServer();
  const sessions = new Map<string, OpenSession>();
  const revocations = watchRevocations(options.tokens, options.revocationCheckMs);
  const { port, sockets } = await listenLocally(server, host, options.port);
  const refusedOrigin = loopbackGuard(host, port);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((err: unknown) => {
      // Never the message: it could quote a request.
      log('error', 'mcp_http.request_failed', { kind: err instanceof Error ? err.name : typeof err });
      if (!res.headersSent) refuse(res, 500, 'Unexpected error inside Sophon.');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = refusedOrigin(req);
    if (refused) return refuse(res, 403, refused);
    const url = new URL(req.url ?? '/', `http://${host}:${port}`);
    if (url.pathname !== MCP_PATH) return refuse(res, 404, `Sophon serves MCP at ${MCP_PATH} only.`);
    const caller = await authenticate(req);
    if (!caller) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="sophon-mcp"');
      return refuse(res, 401, 'An MCP token is required: send "Authorization: Bearer <token>" with a token from `sophon mcp token create --agent <name>`.');
    }
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const open = sessions.get(sid);
      // Another token's session is reported as unknown: its id tells the caller nothing.
      if (!open || open.tokenId !== caller.tokenId) return refuse(res, 404, 'No such MCP session (it ended, or was never yours): initialize a new one.');
      if (req.method !== 'POST') return open.transport.handleRequest(req, res);
      const body = await readMessage(req, res);
      if (body === undefined) return;
      return open.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST') return refuse(res, 400, 'No MCP session: send initialize first (POST without Mcp-Session-Id).');
    const body = await readMessage(req, res);
    if (body === undefined) return;
    await openSession(caller, req, res, body);
  }

  async function openSession(caller: ApiCaller & { agent: string }, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const session = await createMcpSession(core, { userId: caller.userId, agent: caller.agent, version: options.version });
    let untrack = () => undefined as void;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, tokenId: caller.tokenId });
        untrack = revocations.track({ tokenId: caller.tokenId, end: () => void transport.close() });
      },
    });
    session.server.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      untrack();
      session.dispose();
    };
    await session.server.connect(transport);
    await transport.handleRequest(req, res, body);
    // Not an initialize (the transport answered 400): nothing to keep.
    if (!transport.sessionId) await transport.close();
  }

  async function authenticate(req: IncomingMessage): Promise<(ApiCaller & { agent: string }) | null> {
    const caller = await options.tokens.authenticate(bearerToken(req));
    return caller?.agent !== undefined ? { ...caller, agent: caller.agent } : null;
  }

  /** The JSON body, read here under a cap (the SDK would read any size); undefined when already refused. */
  async function readMessage(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > MAX_MESSAGE_BYTES) {
      res.setHeader('Connection', 'close');
      return refuse(res, 413, `The message is ${declared} bytes; Sophon's MCP door accepts at most ${MAX_MESSAGE_BYTES}.`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_MESSAGE_BYTES) {
        res.setHeader('Connection', 'close');
        return refuse(res, 413, `The message is over ${MAX_MESSAGE_BYTES} bytes, the most Sophon's MCP door accepts.`);
      }
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      // Never quote the body: it may hold anything.
      return refuse(res, 400, 'The message is not valid JSON.', -32700);
    }
  }

  return {
    port,
    url: `http://${host}:${port}${MCP_PATH}`,
    close: async () => {
      revocations.stop();
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => undefined)));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** A refusal as the SDK's own HTTP errors look: a JSON-RPC error without an id. */
function refuse(res: ServerResponse, status: number, message: string, code = -32000): undefined {
  const text = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
  return undefined;
}
