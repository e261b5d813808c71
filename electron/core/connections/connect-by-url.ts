import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { checkService } from '../catalog/checks';
import { ServiceSchema, type ServiceDefinition, type ServiceDefinitionInput } from '../catalog/schema';
import { errnoOf, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir } from '../fs/secure-fs';
import { describeIssues } from '../validation/parse';
import { discoverProtectedResource, isAllowedUrl, isLoopback } from '../oauth/resource-metadata';

/**
 * "Connect by URL": a connector file written for a service that needs none written by hand — an OAuth
 * issuer (`connect add --issuer`) or an API that publishes protected resource metadata (`connect add
 * --url`, RFC 9728). Endpoints are discovered and Sophon registers itself, so nothing else is asked.
 * The file (`connectors/<id>.json`) is an ordinary connector the person may read and edit.
 */

const ID_RE = /^[a-z0-9][a-z0-9-]{0,47}$/;

/** `api.example.com/mcp` → `api-example-com-mcp`: a connector id from a URL. */
export function idFromUrl(url: URL): string {
  const slug = `${url.host}${url.pathname}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, 48).replace(/-+$/, '') || 'oauth-service';
}

function parseUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SophonError('invalid_input', `${what} ${JSON.stringify(value.slice(0, 200))} is not a URL.`);
  }
  if (!isAllowedUrl(url)) throw new SophonError('invalid_input', `${what} ${url.href} must use https (plain http only on this machine: 127.0.0.1, localhost, [::1]).`);
  return url;
}

/** Scopes to ask for: what the API names, plus an identity (openid) and a refresh token (offline_access) where the server offers them. */
function scopesFor(supported: readonly string[] | undefined, wanted: readonly string[]): { scopes: string[]; consent: boolean } {
  const offered = new Set(supported ?? []);
  const scopes = [...wanted];
  for (const s of ['openid', 'offline_access']) if (offered.has(s) && !scopes.includes(s)) scopes.push(s);
  // OpenID Connect grants offline_access only with an explicit consent prompt.
  return { scopes, consent: scopes.includes('offline_access') && scopes.includes('openid') };
}

async function writeConnector(connectorsDir: string, input: ServiceDefinitionInput, same: (existing: Record<string, unknown>) => boolean): Promise<ServiceDefinition> {
  const parsed = ServiceSchema.safeParse(input);
  if (!parsed.success) throw new SophonError('invalid_input', `The connector for ${String(input.apiBaseUrl)} is not valid: ${describeIssues(parsed.error)}`);
  const problems = checkService(parsed.data);
  if (problems.length) throw new SophonError('invalid_input', `The connector for ${parsed.data.apiBaseUrl} is not valid: ${problems.join('; ')}`);
  const file = join(connectorsDir, `${parsed.data.id}.json`);
  let existing: string | null = null;
  try {
    existing = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  if (existing !== null) {
    let prior: unknown;
    try {
      prior = JSON.parse(existing);
    } catch {
      prior = null;
    }
    if (typeof prior !== 'object' || prior === null || !same(prior as Record<string, unknown>)) {
      throw new SophonError('invalid_input', `${file} already exists for another service; choose another id with --id.`);
    }
  }
  await ensurePrivateDir(connectorsDir);
  await atomicWriteFile(file, JSON.stringify(input, null, 2) + '\n');
  return parsed.data;
}

const oauthOf = (c: Record<string, unknown>): Record<string, unknown> => {
  const auth = c.auth as { oauth?: Record<string, unknown> } | undefined;
  return auth?.oauth ?? {};
};

/** A connector for an OAuth/OpenID issuer: every endpoint discovered; the test call is its userinfo endpoint where it has one. */
export async function connectorForIssuer(connectorsDir: string, issuerUrl: string, options: { id?: string } = {}): Promise<ServiceDefinition> {
  const issuer = parseUrl(issuerUrl, 'The issuer');
  const id = options.id ?? idFromUrl(issuer);
  if (!ID_RE.test(id)) throw new SophonError('usage', 'A connector id is 1-48 lowercase letters, digits or "-", starting with a letter or digit.');
  const local = isLoopback(issuer);
  const issuerText = issuerUrl.replace(/\/$/, '') === issuer.href.replace(/\/$/, '') ? issuerUrl : issuer.href;
  const probe: ServiceDefinitionInput = {
    id,
    name: issuer.host,
    group: 'Generic',
    auth: { method: 'oauth2', oauth: { issuer: issuerText } },
    apiBaseUrl: issuer.origin,
    allowedHosts: [issuer.host],
    test: { kind: 'none', reason: 'no userinfo endpoint' },
    local,
  };
  const { resolveServer } = await import('../oauth/client');
  const server = await resolveServer(ServiceSchema.parse(probe));
  const { scopes, consent } = scopesFor(server.metadata.scopes_supported, server.oidc && server.metadata.scopes_supported?.includes('email') ? ['email'] : []);
  const userinfo = server.metadata.userinfo_endpoint;
  const hosts = new Set([issuer.host]);
  if (userinfo) hosts.add(new URL(userinfo).host);
  const input: ServiceDefinitionInput = {
    ...probe,
    description: `Signs in at ${issuerText} (endpoints discovered; written by \`sophon connect add --issuer\`).`,
    auth: { method: 'oauth2', oauth: { issuer: issuerText, ...(consent ? { extraAuthorizationParams: { prompt: 'consent' } } : {}) } },
    defaultScopes: scopes,
    allowedHosts: [...hosts],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: userinfo ? { kind: 'http', path: userinfo } : { kind: 'none', reason: 'the issuer publishes no userinfo endpoint' },
  };
  return writeConnector(connectorsDir, input, (c) => oauthOf(c).issuer === issuerText && oauthOf(c).resource === undefined);
}

/**
 * A connector for an API that asks for OAuth with protected resource metadata (RFC 9728, e.g. a remote
 * MCP server): its authorization server signs in, tokens are bound to the API with the `resource`
 * indicator (RFC 8707), and the API itself is the connection's base URL and test call.
 */
export async function connectorForApi(connectorsDir: string, apiUrl: string, options: { id?: string } = {}): Promise<ServiceDefinition> {
  const api = parseUrl(apiUrl, 'The API URL');
  const found = await discoverProtectedResource(api.href);
  const id = options.id ?? idFromUrl(api);
  if (!ID_RE.test(id)) throw new SophonError('usage', 'A connector id is 1-48 lowercase letters, digits or "-", starting with a letter or digit.');
  const issuer = new URL(found.authorizationServer);
  const local = isLoopback(api) || isLoopback(issuer);
  if (local && !(isLoopback(api) && isLoopback(issuer))) {
    throw new SophonError('invalid_input', `${api.href} and its authorization server ${issuer.href} must both be on this machine to use plain http.`);
  }
  const probe: ServiceDefinitionInput = {
    id,
    name: `${api.host}${api.pathname === '/' ? '' : api.pathname}`,
    group: 'Generic',
    auth: { method: 'oauth2', oauth: { issuer: found.authorizationServer, resource: found.resource } },
    apiBaseUrl: api.href,
    allowedHosts: [api.host],
    test: { kind: 'http', path: api.href },
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    local,
  };
  const { resolveServer } = await import('../oauth/client');
  const server = await resolveServer(ServiceSchema.parse(probe));
  const { scopes, consent } = scopesFor(server.metadata.scopes_supported, found.scopes);
  const input: ServiceDefinitionInput = {
    ...probe,
    description: `The API at ${api.href}, signed in at ${found.authorizationServer} (found by its protected resource metadata; written by \`sophon connect add --url\`).`,
    auth: { method: 'oauth2', oauth: { issuer: found.authorizationServer, resource: found.resource, ...(consent ? { extraAuthorizationParams: { prompt: 'consent' } } : {}) } },
    defaultScopes: scopes,
  };
  return writeConnector(connectorsDir, input, (c) => oauthOf(c).resource === found.resource);
}
