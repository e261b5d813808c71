import { z } from 'zod';

/**
 * A connection as every door shows it (CLI --json, IPC, REST). No secret is in it: `secretHint` is at
 * most the last four characters of a long key, to tell two keys apart.
 */
export const CONNECTION_STATES = ['active', 'untested', 'needs_reauth', 'error'] as const;
export const ConnectionStateSchema = z.enum(CONNECTION_STATES);
/**
 * `untested`: stored, but its test could not finish (the service was unreachable or answered
 * unexpectedly), so nobody knows yet whether the key works; the next test that passes makes it `active`.
 */
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

export const LastTestSchema = z.object({
  status: z.enum(['ok', 'rejected', 'missing_scope', 'unreachable', 'unexpected', 'untestable']),
  ok: z.boolean(),
  at: z.string(),
  message: z.string(),
});

export const ConnectionSchema = z.object({
  id: z.string(),
  userId: z.string(),
  serviceId: z.string(),
  serviceName: z.string(),
  label: z.string(),
  authMethod: z.string(),
  scopes: z.array(z.string()),
  state: ConnectionStateSchema,
  stateReason: z.string().nullable(),
  account: z.string().nullable(),
  secretHint: z.string().nullable(),
  /** Non-secret fields given at connect time (site, host, port, username, …). */
  fields: z.record(z.string(), z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  lastTest: LastTestSchema.nullable(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

export const AuditRowSchema = z.object({
  id: z.number(),
  at: z.string(),
  userId: z.string(),
  connectionId: z.string().nullable(),
  serviceId: z.string().nullable(),
  skill: z.string().nullable(),
  tool: z.string().nullable(),
  action: z.string(),
  outcome: z.string(),
  detail: z.string().nullable(),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

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
