import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errnoOf, SophonError } from '../core/errors';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
export const isLoopbackHost = (host: string) => LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * The checks every loopback HTTP server of Sophon (the REST API, the MCP door) makes before anything
 * else: the Host header must name this server (DNS rebinding: a foreign name that resolves to 127.0.0.1
 * is refused), an Origin must be this server's own (no cross-site calls), and a browser's
 * Sec-Fetch-Site must not say cross-site. Returns why a request is refused (403), or null.
 */
export function loopbackGuard(host: string, port: number): (req: IncomingMessage) => string | null {
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  if (!isLoopbackHost(host)) allowedHosts.add(`${host.includes(':') ? `[${host}]` : host}:${port}`);
  const allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  return (req) => {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) {
      return `Host "${hostHeader.slice(0, 100)}" is not this server (expected 127.0.0.1:${port} or localhost:${port}); refused as a DNS-rebinding defence.`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) return `Origin "${origin.slice(0, 100)}" may not call this server; only pages it serves itself may.`;
    // Sec-Fetch-Site is sent by browsers even where Origin is not (same-origin GETs): cross-site is refused.
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') return 'Cross-site requests are refused.';
    return null;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/**
 * Starts `server` listening on host:port (no port: a free one), with the mistakes a person can fix (a
 * port in use or below 1024, a host that is not this machine's) said as such. Its open sockets are
 * tracked, so closing the server can end kept-alive connections at once.
 */
export async function listenLocally(server: Server, host: string, port: number | undefined): Promise<{ port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: unknown) => {
      const code = errnoOf(err);
      if (code === 'EADDRINUSE') reject(new SophonError('usage', `Port ${port} on ${host} is in use: choose another --port (or none, for a free one).`));
      else if (code === 'EACCES') reject(new SophonError('usage', `Not allowed to listen on ${host}:${port}: choose a port above 1024.`));
      else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') reject(new SophonError('usage', `${host} is not an address of this machine.`));
      else reject(err);
    };
    server.once('error', failed);
    server.listen(port ?? 0, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}
