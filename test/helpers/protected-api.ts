// An API that asks for OAuth the way remote MCP servers do: 401 with
// `WWW-Authenticate: Bearer resource_metadata="…"` (RFC 9728), its protected resource metadata naming
// the authorization server, and a token check that accepts only access tokens issued for this very
// resource (RFC 8707 audience), looked up at the real oidc-provider.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Provider from 'oidc-provider';

export const API_SCOPE = 'api:read';

export interface ProtectedApi {
  /** The API's URL (what a person gives `sophon connect add --url`). */
  url: string;
  host: string;
  metadataUrl: string;
  /** Requests that carried a valid token, by subject. */
  served: string[];
  close(): Promise<void>;
}

export interface ProtectedApiOptions {
  /** The `resource` the metadata claims (default: the API's URL); a different one tests the mix-up check. */
  claimedResource?: (url: string) => string;
}

/** Starts the API; `issuer()` and `provider()` are read per request, so the API can start before the server knows its URL. */
export async function startProtectedApi(auth: { issuer: () => string; provider: () => Provider }, options: ProtectedApiOptions = {}): Promise<ProtectedApi> {
  const sockets = new Set<Socket>();
  const served: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const url = `${base}/mcp`;
      const metadataPath = '/.well-known/oauth-protected-resource/mcp';
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (path === metadataPath) {
        return json(200, { resource: options.claimedResource ? options.claimedResource(url) : url, authorization_servers: [auth.issuer()], scopes_supported: [API_SCOPE], bearer_methods_supported: ['header'] });
      }
      if (path !== '/mcp') return json(404, { error: 'no such route' });
      const header = req.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      const found = token ? await auth.provider().AccessToken.find(token) : undefined;
      if (!found || found.aud !== url) {
        return json(401, { error: 'invalid_token' }, { 'www-authenticate': `Bearer resource_metadata="${base}${metadataPath}"${token ? ', error="invalid_token"' : ''}` });
      }
      served.push(String(found.accountId));
      return json(200, { login: `${String(found.accountId)}@example.test`, scope: found.scope });
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/mcp`,
    host: `127.0.0.1:${port}`,
    metadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
    served,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
