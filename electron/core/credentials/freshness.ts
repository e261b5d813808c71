import type { StoredCredential } from '../vault/credential';

/**
 * The one refresh margin: an access token is refreshed when it has this little left, so it is never
 * handed out seconds before it dies. Every door (broker, testers, skills, MCP) gets its token through
 * `needsRefresh`, and the refresher re-checks with it after taking the refresh lock.
 */
export const REFRESH_MARGIN_MS = 60_000;

/**
 * True when a credential should be refreshed before use: it expires within the margin, or, for a token
 * that lives only minutes, within half its life (a 30-second token would otherwise be refreshed on every
 * use). A credential without an expiry never needs one.
 */
export function needsRefresh(credential: Pick<StoredCredential, 'expiresAt'> & { obtainedAt?: unknown }, at: number): boolean {
  if (credential.expiresAt === undefined) return false;
  const obtainedAt = typeof credential.obtainedAt === 'number' ? credential.obtainedAt : undefined;
  const margin = obtainedAt !== undefined && obtainedAt < credential.expiresAt ? Math.min(REFRESH_MARGIN_MS, (credential.expiresAt - obtainedAt) / 2) : REFRESH_MARGIN_MS;
  return credential.expiresAt - margin <= at;
}
