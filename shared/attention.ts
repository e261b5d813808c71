// What a connection needs from the person (re-auth, an error, an expiry, a test), one rule for the list,
// the tray and the OS notifications. No zod here (unlike connections.ts): the renderer and its boot
// script import this at run time.
import type { Connection } from './connections';

/**
 * How long before a known expiry a credential that cannot renew itself shows as "expires soon" (list,
 * tray, notification). Three days: enough to notice over a weekend and rotate the key before it stops
 * working. OAuth connections are left out: Sophon refreshes their access tokens itself, and a refused
 * refresh turns them `needs_reauth`.
 */
export const EXPIRES_SOON_MS = 3 * 86_400_000;

/** Why a connection needs the person, most urgent first (the list and the tray sort by this order). */
export const ATTENTION_KINDS = ['needs_reauth', 'error', 'expired', 'expires_soon', 'untested'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** What, if anything, a connection needs from the person at `now`. */
export function attentionOf(c: Pick<Connection, 'state' | 'authMethod' | 'expiresAt'>, now: number): AttentionKind | null {
  if (c.state === 'needs_reauth' || c.state === 'error') return c.state;
  if (c.expiresAt !== null && c.authMethod !== 'oauth2') {
    const left = Date.parse(c.expiresAt) - now;
    if (left <= 0) return 'expired';
    if (left <= EXPIRES_SOON_MS) return 'expires_soon';
  }
  return c.state === 'untested' ? 'untested' : null;
}

/** Sort rank of an attention kind: lower is more urgent; a connection needing nothing ranks last. */
export function attentionRank(kind: AttentionKind | null): number {
  return kind === null ? ATTENTION_KINDS.length : ATTENTION_KINDS.indexOf(kind);
}
