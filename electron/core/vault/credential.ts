import { z } from 'zod';

/**
 * One credential as the vault stores it. The vault only stores: when a token is fresh, and how it is
 * refreshed, is credentials/'s to decide. Unknown fields are kept, so a file written by a newer Sophon
 * that is rewritten by this one loses nothing.
 */
export const CredentialDataSchema = z.looseObject({
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
  apiKey: z.string().optional(),
  tokenType: z.string().optional(),
  /** Access-token expiry, epoch milliseconds. */
  expiresAt: z.number().int().nonnegative().optional(),
  scopes: z.array(z.string()).optional(),
  /** Service-specific string fields (SMTP host, IMAP user, password, …). */
  extra: z.record(z.string(), z.string()).default({}),
});

export type CredentialData = z.input<typeof CredentialDataSchema>;
export type StoredCredential = z.output<typeof CredentialDataSchema>;

export interface CredentialRef {
  userId: string;
  connectionId: string;
}

export interface ICredentialVault {
  get(userId: string, connectionId: string): Promise<StoredCredential | null>;
  put(userId: string, connectionId: string, data: CredentialData): Promise<void>;
  /** True when a credential was there to delete. */
  delete(userId: string, connectionId: string): Promise<boolean>;
  list(userId?: string): Promise<CredentialRef[]>;
}

/**
 * What a vault file says about itself, inside the encrypted (so authenticated) payload, under the
 * reserved key `meta`. `generation` grows by one with every write, so a file older than the
 * generation sophon.db recorded is an older copy put back. The rest is the connection's non-secret
 * metadata, so sophon.db can be rebuilt from the vault (`sophon vault recover`); files written before
 * this existed have no `meta` until they are rewritten.
 */
export const VaultMetaSchema = z.looseObject({
  generation: z.number().int().nonnegative(),
  serviceId: z.string().optional(),
  label: z.string().optional(),
  authMethod: z.string().optional(),
  fields: z.record(z.string(), z.string()).optional(),
  scopes: z.array(z.string()).optional(),
  /** When the connection was added, epoch milliseconds. */
  createdAt: z.number().int().nonnegative().optional(),
  secretHint: z.string().nullable().optional(),
  account: z.string().nullable().optional(),
});
export type VaultMeta = z.output<typeof VaultMetaSchema>;

/** A connection's metadata as it is copied into its vault file. */
export type ConnectionMeta = Required<Omit<VaultMeta, 'generation'>>;

/**
 * sophon.db's side of each credential, which the vault consults on every read and write: the
 * generation it last recorded (null: no connection row) and the metadata to seal into the file.
 */
export interface VaultIndex {
  generation(ref: CredentialRef): number | null;
  /** Records a generation written (or found) in the file; never lowers the recorded one. */
  noteGeneration(ref: CredentialRef, generation: number): void;
  describe(ref: CredentialRef): ConnectionMeta | null;
  /** Told when a read found the file older than recorded, so the connection can show it before the next use. */
  rolledBack?(ref: CredentialRef): void;
}
