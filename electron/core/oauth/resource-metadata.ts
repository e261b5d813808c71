import { z } from 'zod';
import { SophonError } from '../errors';

/** What an API's protected resource metadata (RFC 9728) says: which server issues its tokens. */
export interface ProtectedResource {
  /** The resource identifier, used as the RFC 8707 `resource` indicator. */
  resource: string;
  authorizationServer: string;
  scopes: string[];
}

const MetadataSchema = z.looseObject({
  resource: z.url(),
  authorization_servers: z.array(z.url()).min(1),
  scopes_supported: z.array(z.string().min(1)).optional(),
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http to this machine only (a local test server or a local MCP server). */
export function isAllowedUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

/** `resource_metadata` from a `WWW-Authenticate: Bearer …` challenge, if it names one. */
export function resourceMetadataParam(header: string | null): string | undefined {
  if (!header) return undefined;
  return /(?:^|[\s,])resource_metadata="([^"]+)"/i.exec(header)?.[1] ?? /(?:^|[\s,])resource_metadata=([^\s,"]+)/i.exec(header)?.[1];
}

/** RFC 9728 §3.1: the well-known URL is inserted between the host and the path. */
export function wellKnownMetadataUrl(api: URL): string {
  const path = api.pathname === '/' ? '' : api.pathname.replace(/\/$/, '');
  return `${api.origin}/.well-known/oauth-protected-resource${path}`;
}

function sameResource(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/\/$/, '');
  return strip(a) === strip(b);
}

async function get(url: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw new SophonError('unreachable', `Could not reach ${url}.`);
  }
}

/**
 * Finds who issues tokens for an API: an unauthenticated request, whose 401 challenge names the
 * metadata (else the RFC 9728 well-known address), then the metadata, whose `resource` must be this
 * API (RFC 9728 §3.3: metadata that names another resource is refused, so one API cannot send Sophon
 * to sign in for another).
 */
export async function discoverProtectedResource(apiUrl: string, options: { timeoutMs?: number } = {}): Promise<ProtectedResource> {
  const timeout = options.timeoutMs ?? 30_000;
  let api: URL;
  try {
    api = new URL(apiUrl);
  } catch {
    throw new SophonError('invalid_input', `${JSON.stringify(apiUrl.slice(0, 200))} is not a URL.`);
  }
  if (!isAllowedUrl(api)) throw new SophonError('invalid_input', `${api.href} must use https (plain http only on this machine: 127.0.0.1, localhost, [::1]).`);
  const probe = await get(api.href, timeout);
  await probe.body?.cancel();
  const named = probe.status === 401 ? resourceMetadataParam(probe.headers.get('www-authenticate')) : undefined;
  const metadataUrl = named ?? wellKnownMetadataUrl(api);
  const meta = new URL(metadataUrl, api);
  if (!isAllowedUrl(meta)) throw new SophonError('invalid_input', `${api.href} names resource metadata at ${meta.href}, which is not https.`);
  const answer = await get(meta.href, timeout);
  if (answer.status !== 200) {
    await answer.body?.cancel();
    throw new SophonError(
      'invalid_input',
      probe.status === 401
        ? `${api.href} asks for a token but publishes no protected resource metadata (${meta.href} answered HTTP ${answer.status}); add it as a connector with its OAuth issuer instead (docs/oauth.md).`
        : `${api.href} answered HTTP ${probe.status} without asking for OAuth, and publishes no protected resource metadata.`,
    );
  }
  let body: unknown;
  try {
    body = await answer.json();
  } catch {
    throw new SophonError('invalid_input', `The protected resource metadata at ${meta.href} is not JSON.`);
  }
  const parsed = MetadataSchema.safeParse(body);
  if (!parsed.success) throw new SophonError('invalid_input', `The protected resource metadata at ${meta.href} has no valid "resource" and "authorization_servers".`);
  const { resource, authorization_servers: servers, scopes_supported: scopes } = parsed.data;
  if (!sameResource(resource, api.href)) {
    throw new SophonError('invalid_input', `The protected resource metadata at ${meta.href} is for ${resource}, not ${api.href}; it was not used.`);
  }
  const issuer = new URL(servers[0]!);
  if (!isAllowedUrl(issuer)) throw new SophonError('invalid_input', `${api.href}'s authorization server ${issuer.href} is not https.`);
  return { resource, authorizationServer: servers[0]!, scopes: scopes ?? [] };
}
