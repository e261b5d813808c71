import { isIP } from 'node:net';
import { Pool } from 'undici';

/**
 * The broker's keep-alive connections to services, one undici pool per checked address and TLS
 * server name. undici rather than node:http's client: the broker spends most of its CPU in the
 * proxy hop, and undici's client costs less per request.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  /** `ca`: certificates trusted instead of Node's default CAs (none given: the defaults). */
  constructor(private readonly ca?: string[]) {}

  /** The pool whose sockets go to `to.address` (never to a fresh lookup of the name), with the name as TLS servername. */
  pool(url: URL, to: { address: string; family: 4 | 6 }): Pool {
    const https = url.protocol === 'https:';
    const port = url.port || (https ? '443' : '80');
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    // An IP literal is not a server name (RFC 6066): then the certificate is checked against the address.
    const servername = https && !isIP(hostname) ? hostname : undefined;
    const key = `${url.protocol}${to.address}|${port}|${servername ?? ''}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const host = to.family === 6 ? `[${to.address}]` : to.address;
      pool = new Pool(`${url.protocol}//${host}:${port}`, {
        connections: 256,
        pipelining: 1,
        connect: { ...(servername ? { servername } : {}), ...(https && this.ca ? { ca: this.ca } : {}) },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  close(): void {
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined);
    this.pools.clear();
  }
}
