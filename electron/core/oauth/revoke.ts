import * as oidc from 'openid-client';
import type { OAuthClient } from './client';
import { toOAuthError } from './errors';

export interface RevocationResult {
  /** `not_applicable`: the service has no revocation endpoint, or there was no token to revoke. */
  outcome: 'revoked' | 'not_applicable' | 'failed';
  /** For a person when it failed; never holds a token. */
  message: string | null;
}

/**
 * RFC 7009: revokes the refresh token (which, at most services, ends the whole grant) and then the access
 * token. Never throws: removing a connection goes on whatever the service says, and the result says what
 * happened.
 */
export async function revokeTokens(client: OAuthClient, tokens: { accessToken?: string; refreshToken?: string }): Promise<RevocationResult> {
  if (!client.config.serverMetadata().revocation_endpoint) return { outcome: 'not_applicable', message: null };
  const todo: [string, 'refresh_token' | 'access_token'][] = [];
  if (tokens.refreshToken) todo.push([tokens.refreshToken, 'refresh_token']);
  if (tokens.accessToken) todo.push([tokens.accessToken, 'access_token']);
  if (todo.length === 0) return { outcome: 'not_applicable', message: null };
  const problems: string[] = [];
  for (const [token, hint] of todo) {
    try {
      await oidc.tokenRevocation(client.config, token, { token_type_hint: hint });
    } catch (err) {
      const what = `Revoking the ${hint === 'refresh_token' ? 'refresh' : 'access'} token at ${client.service.name}`;
      problems.push(toOAuthError(err, what, [tokens.accessToken, tokens.refreshToken]).message);
    }
  }
  if (problems.length > 0) return { outcome: 'failed', message: problems.join(' ') };
  return { outcome: 'revoked', message: null };
}
