import type * as oidc from 'openid-client';
import type { CredentialData } from '../vault/credential';
import { parseScopes, type OAuthClient } from './client';

/** Who signed in, from the ID token, for the connection's label. Not secret. */
export interface OAuthIdentity {
  sub?: string;
  email?: string;
  name?: string;
}

/** What a successful sign-in or refresh yields. `accessToken` and `refreshToken` are secrets. */
export interface OAuthTokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType?: string;
  /** Epoch ms; absent when the server did not say (the token then lives until revoked). */
  expiresAt?: number;
  /** Granted scopes: the response's `scope`, else the requested ones. */
  scopes: string[];
  identity: OAuthIdentity;
  /** Epoch ms when the tokens were issued (taken when the response arrived). */
  obtainedAt: number;
}

export function tokenSetFrom(
  client: OAuthClient,
  response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  requestedScopes: readonly string[],
  now: number,
): OAuthTokenSet {
  const claims = response.claims();
  const identity: OAuthIdentity = {};
  if (claims) {
    identity.sub = claims.sub;
    if (typeof claims.email === 'string') identity.email = claims.email;
    if (typeof claims.name === 'string') identity.name = claims.name;
  }
  const set: OAuthTokenSet = {
    accessToken: response.access_token,
    scopes: parseScopes(client, response.scope) ?? [...requestedScopes],
    identity,
    obtainedAt: now,
  };
  if (response.refresh_token) set.refreshToken = response.refresh_token;
  if (response.token_type) set.tokenType = response.token_type;
  if (typeof response.expires_in === 'number') set.expiresAt = now + response.expires_in * 1000;
  return set;
}

/** The vault form of a token set. `obtainedAt` rides along (the vault keeps unknown fields). */
export function credentialFromTokens(tokens: OAuthTokenSet): CredentialData {
  const data: CredentialData = { accessToken: tokens.accessToken, scopes: tokens.scopes, obtainedAt: tokens.obtainedAt, extra: {} };
  if (tokens.refreshToken) data.refreshToken = tokens.refreshToken;
  if (tokens.tokenType) data.tokenType = tokens.tokenType;
  if (tokens.expiresAt !== undefined) data.expiresAt = Math.floor(tokens.expiresAt);
  // Who signed in (the ID token's `sub`, not secret): a re-auth by the same person keeps the account name.
  if (tokens.identity.sub) data.subject = tokens.identity.sub;
  return data;
}

/** A short label for the account ("ada@example.com"), when the ID token says who it is. */
export function accountLabel(identity: OAuthIdentity): string | undefined {
  return identity.email ?? identity.name ?? identity.sub;
}
