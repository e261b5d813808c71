import * as oidc from 'openid-client';
import type { ServiceDefinition } from '../catalog/schema';
import { OAuthError, toOAuthError } from './errors';

export type OAuthSettings = NonNullable<ServiceDefinition['auth']['oauth']>;

/** The app's registration at the service (from settings: `Sophon.OAuth.<serviceId>.ClientId`, …). */
export interface OAuthClientRegistration {
  clientId: string;
  /** Only for services marked `clientSecretRequired`; otherwise Sophon is a public client (PKCE, no secret). */
  clientSecret?: string;
}

export interface OAuthClientOptions {
  /** Per-request timeout in seconds (default 30). */
  timeoutSeconds?: number;
}

/** Everything the OAuth steps need about one service: its catalog entry and an openid-client Configuration. */
export interface OAuthClient {
  readonly service: ServiceDefinition;
  readonly oauth: OAuthSettings;
  readonly config: oidc.Configuration;
  /**
   * True when the service's issuer is known (catalog `issuer`, confirmed by discovery): the redirect's `iss`
   * (RFC 9207) and ID tokens are then checked against it. Without it there is nothing to compare `iss` with.
   */
  readonly issuerKnown: boolean;
  /** The service speaks OpenID Connect (discovered): `openid` scope gets a nonce and ID token checks. */
  readonly oidc: boolean;
}

/** What discovery (or the catalog's endpoints) says about a service's authorization server. */
export interface ResolvedServer {
  metadata: oidc.ServerMetadata;
  /** Plain http is allowed (a `local` service). */
  insecure: boolean;
  /** Discovered metadata looks like OpenID Connect. */
  oidc: boolean;
}

/** Where a service's client registration comes from: fixed, or decided once the server's metadata is known. */
export type RegistrationSource = OAuthClientRegistration | ((server: ResolvedServer) => Promise<OAuthClientRegistration>);

/**
 * Endpoints for a service: OpenID/RFC 8414 discovery when the catalog names an `issuer` (the issuer in the
 * metadata must be that one: openid-client checks it), else the catalog's endpoints. Plain http anywhere
 * is refused unless the service is `local`.
 */
export async function resolveServer(service: ServiceDefinition, options: OAuthClientOptions = {}): Promise<ResolvedServer> {
  const oauth = service.auth.oauth;
  if (service.auth.method !== 'oauth2' || !oauth) {
    throw new OAuthError('config', `${service.name} does not sign in with OAuth.`);
  }
  const endpoints = { authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, revocationUrl: oauth.revocationUrl, deviceAuthorizationUrl: oauth.deviceAuthorizationUrl, issuer: oauth.issuer, resource: oauth.resource };
  let insecure = false;
  for (const [name, value] of Object.entries(endpoints)) {
    if (value === undefined) continue;
    const url = new URL(value);
    if (url.protocol === 'https:') continue;
    if (url.protocol === 'http:' && service.local) {
      insecure = true;
      continue;
    }
    throw new OAuthError('config', `${service.name}'s ${name} must use https (plain http is allowed only for local services).`);
  }
  const timeout = options.timeoutSeconds ?? 30;
  const manual: Partial<oidc.ServerMetadata> = stripUndefined({
    authorization_endpoint: oauth.authorizationUrl,
    token_endpoint: oauth.tokenUrl,
    revocation_endpoint: oauth.revocationUrl,
    device_authorization_endpoint: oauth.deviceAuthorizationUrl,
  });
  if (!oauth.issuer) {
    if (!oauth.authorizationUrl || !oauth.tokenUrl) throw new OAuthError('config', `${service.name} names neither an issuer nor its authorization and token endpoints.`);
    // Without a known issuer this placeholder is never compared with anything: `iss` is not checked then.
    return { metadata: { issuer: new URL(oauth.tokenUrl).origin, ...manual }, insecure, oidc: false };
  }
  let meta: oidc.ServerMetadata;
  try {
    // The client id is not known yet (it may come from registration): discovery does not use it.
    const discovered = await oidc.discovery(new URL(oauth.issuer), 'discovery', undefined, oidc.None(), {
      timeout,
      execute: insecure ? [oidc.allowInsecureRequests] : [],
    });
    meta = discovered.serverMetadata();
  } catch (err) {
    throw toOAuthError(err, `Reading the OAuth configuration of ${service.name} (${oauth.issuer})`);
  }
  // The issuer's own metadata wins; the catalog fills what it leaves out.
  const metadata: oidc.ServerMetadata = { ...manual, ...stripUndefined(meta) };
  for (const key of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'device_authorization_endpoint', 'registration_endpoint', 'userinfo_endpoint'] as const) {
    const value = metadata[key];
    if (typeof value !== 'string') continue;
    const protocol = new URL(value).protocol;
    if (protocol !== 'https:' && !(service.local && protocol === 'http:')) {
      throw new OAuthError('config', `${service.name}'s discovered ${key} is not https.`);
    }
  }
  if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
    throw new OAuthError('config', `${service.name}'s issuer ${oauth.issuer} does not publish an authorization and a token endpoint.`);
  }
  const isOidc = meta.userinfo_endpoint !== undefined || meta.id_token_signing_alg_values_supported !== undefined;
  return { metadata, insecure, oidc: isOidc };
}

/** Builds the client for a service: its server (discovered or from the catalog) and the registration Sophon signs in as. */
export async function createOAuthClient(service: ServiceDefinition, source: RegistrationSource, options: OAuthClientOptions = {}): Promise<OAuthClient> {
  const resolved = await resolveServer(service, options);
  const registration = typeof source === 'function' ? await source(resolved) : source;
  const oauth = service.auth.oauth!;
  if (!registration.clientId.trim()) {
    throw new OAuthError('config', `No OAuth client id is set for ${service.name}.`);
  }
  if (oauth.clientSecretRequired && !registration.clientSecret) {
    throw new OAuthError('config', `${service.name} requires a client secret for its OAuth app; none is set.`);
  }
  const server = resolved.metadata;
  const config = new oidc.Configuration(server, registration.clientId, undefined, clientAuth(server, registration));
  config.timeout = options.timeoutSeconds ?? 30;
  if (resolved.insecure) oidc.allowInsecureRequests(config);
  return { service, oauth, config, issuerKnown: oauth.issuer !== undefined, oidc: resolved.oidc };
}

/** RFC 8707: the resource indicator every authorization and token request carries, when the service names one. */
export function resourceParams(client: OAuthClient): Record<string, string> {
  return client.oauth.resource ? { resource: client.oauth.resource } : {};
}

function clientAuth(server: oidc.ServerMetadata, registration: OAuthClientRegistration): oidc.ClientAuth {
  if (!registration.clientSecret) return oidc.None();
  const supported = server.token_endpoint_auth_methods_supported;
  if (supported && !supported.includes('client_secret_post') && supported.includes('client_secret_basic')) {
    return oidc.ClientSecretBasic(registration.clientSecret);
  }
  return oidc.ClientSecretPost(registration.clientSecret);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Scopes as the service wants them in a request. */
export function scopeParam(client: OAuthClient, scopes: readonly string[]): string {
  return scopes.join(client.oauth.scopeSeparator);
}

/** Scopes from a token response's `scope`, split on spaces (RFC 6749) or the service's separator. */
export function parseScopes(client: OAuthClient, scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const sep = client.oauth.scopeSeparator;
  const parts = sep === ' ' ? scope.split(/\s+/) : scope.split(sep).flatMap((p) => p.split(/\s+/));
  return parts.filter((p) => p.length > 0);
}
