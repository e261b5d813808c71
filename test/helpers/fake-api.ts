import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * A small real HTTP API on 127.0.0.1: `GET /user` answers 200 with a login for the one valid bearer
 * token and 401 otherwise, and every request is recorded so tests can see exactly what arrived.
 */
export async function startUserApi(validToken: string, login = 'octo-test'): Promise<{ url: string; port: number; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const ok = req.headers.authorization === `Bearer ${validToken}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { login } : { message: 'Bad credentials' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A connector file for that API, exactly as a person would write one. */
export function userApiConnector(id: string, port: number): string {
  return JSON.stringify({
    id,
    name: `Local ${id}`,
    group: 'Developer',
    auth: { method: 'bearer', secretLabel: 'Token' },
    apiBaseUrl: `http://127.0.0.1:${port}`,
    allowedHosts: [`127.0.0.1:${port}`],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: { kind: 'http', method: 'GET', path: '/user' },
    local: true,
  });
}
