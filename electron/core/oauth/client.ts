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

/**
 * Builds the client for a service: OpenID/RFC 8414 discovery when the catalog names an `issuer`, else server
 * metadata from the catalog's endpoints. Plain http endpoints are refused unless the service is `local`.
 */
export async function createOAuthClient(service: ServiceDefinition, registration: OAuthClientRegistration, options: OAuthClientOptions = {}): Promise<OAuthClient> {
  const oauth = service.auth.oauth;
  if (service.auth.method !== 'oauth2' || !oauth) {
    throw new OAuthError('config', `${service.name} does not sign in with OAuth.`);
  }
  if (!registration.clientId.trim()) {
    throw new OAuthError('config', `No OAuth client id is set for ${service.name}.`);
  }
  if (oauth.clientSecretRequired && !registration.clientSecret) {
    throw new OAuthError('config', `${service.name} requires a client secret for its OAuth app; none is set.`);
  }
  const endpoints = { authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, revocationUrl: oauth.revocationUrl, deviceAuthorizationUrl: oauth.deviceAuthorizationUrl, issuer: oauth.issuer };
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
  const manual: oidc.ServerMetadata = {
    // Without a known issuer this placeholder is never compared with anything: `iss` is not checked then.
    issuer: oauth.issuer ?? new URL(oauth.tokenUrl).origin,
    authorization_endpoint: oauth.authorizationUrl,
    token_endpoint: oauth.tokenUrl,
    ...(oauth.revocationUrl ? { revocation_endpoint: oauth.revocationUrl } : {}),
    ...(oauth.deviceAuthorizationUrl ? { device_authorization_endpoint: oauth.deviceAuthorizationUrl } : {}),
  };
  let server = manual;
  let isOidc = false;
  if (oauth.issuer) {
    try {
      const discovered = await oidc.discovery(new URL(oauth.issuer), registration.clientId, undefined, oidc.None(), {
        timeout,
        execute: insecure ? [oidc.allowInsecureRequests] : [],
      });
      const meta = discovered.serverMetadata();
      // The issuer's own metadata wins; the catalog fills what it leaves out.
      server = { ...manual, ...stripUndefined(meta) };
      isOidc = meta.userinfo_endpoint !== undefined || meta.id_token_signing_alg_values_supported !== undefined;
    } catch (err) {
      const e = toOAuthError(err, `Reading the OAuth configuration of ${service.name} (${oauth.issuer})`);
      throw e;
    }
    for (const key of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'device_authorization_endpoint'] as const) {
      const value = server[key];
      if (typeof value === 'string' && new URL(value).protocol !== 'https:' && !(service.local && new URL(value).protocol === 'http:')) {
        throw new OAuthError('config', `${service.name}'s discovered ${key} is not https.`);
      }
    }
  }
  const config = new oidc.Configuration(server, registration.clientId, undefined, clientAuth(server, registration));
  config.timeout = timeout;
  if (insecure) oidc.allowInsecureRequests(config);
  return { service, oauth, config, issuerKnown: oauth.issuer !== undefined, oidc: isOidc };
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
