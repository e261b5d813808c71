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
