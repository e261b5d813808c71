// A local API on 127.0.0.1 that the broker tests call through the proxy. It checks the real token
// (a fixed one, or by asking the OAuth server's userinfo endpoint), records exactly what arrived, and
// has hostile routes: echoing the credential back in body and headers, redirecting elsewhere, answering
// huge or compressed bodies.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ResourceServer {
  url: string;
  host: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Who a bearer token belongs to, or null when it is not valid. */
export type TokenCheck = (token: string) => Promise<string | null> | string | null;

/** Validates a token at an OpenID provider's userinfo endpoint (the real token check of the OAuth tests). */
export function userinfoCheck(issuer: string): TokenCheck {
  return async (token) => {
    const r = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) return null;
    return ((await r.json()) as { sub: string }).sub;
  };
}

export async function startResourceServer(check: TokenCheck): Promise<ResourceServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const url = new URL(req.url ?? '/', 'http://x');
        const auth = req.headers.authorization ?? '';
        const token = auth.startsWith('Bearer ') ? auth.slice(7) : (url.searchParams.get('api_key') ?? '');
        const json = (status: number, value: unknown, headers: Record<string, string | string[]> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(value));
        };
        switch (url.pathname) {
          case '/user': {
            const who = token ? await check(token) : null;
            return who ? json(200, { login: who }) : json(401, { message: 'Bad credentials' });
          }
          case '/echo': {
            // Hostile: everything that arrived comes back, the credential in every common encoding.
            const b64 = Buffer.from(token).toString('base64');
            return json(
              200,
              { method: req.method, url: req.url, headers: req.headers, body, token, forms: [encodeURIComponent(token), b64, Buffer.from(token).toString('base64url'), JSON.stringify(token)] },
              { 'x-echo-token': token, 'x-echo-b64': b64, 'set-cookie': [`session=${token}`], 'www-authenticate': `Bearer realm="${token}"`, authorization: auth, link: `<https://x.test/?t=${encodeURIComponent(token)}>` },
            );
          }
          case '/echo-gzip': {
            res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
            return res.end(gzipSync(Buffer.from(`the token is ${token}`)));
          }
          case '/redirect':
            res.writeHead(302, { location: url.searchParams.get('to') ?? '/user' });
            return res.end();
          case '/big': {
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            return res.end(Buffer.alloc(Number(url.searchParams.get('bytes') ?? '0'), 0x61));
          }
          case '/hello':
            return json(200, { hello: 'world' });
          default:
            return json(404, { message: 'no such route' });
        }
      })();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
