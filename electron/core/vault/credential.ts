import { z } from 'zod';

/**
 * One credential as the vault stores it. Unknown fields are kept, so a file written by a newer Sophon
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

/** Called by getAccessToken when the token is about to expire; later issues plug OAuth refresh in here. */
export type TokenRefresher = (ref: CredentialRef, current: StoredCredential) => Promise<StoredCredential>;

export interface ICredentialVault {
  get(userId: string, connectionId: string): Promise<StoredCredential | null>;
  put(userId: string, connectionId: string, data: CredentialData): Promise<void>;
  /** True when a credential was there to delete. */
  delete(userId: string, connectionId: string): Promise<boolean>;
  list(userId?: string): Promise<CredentialRef[]>;
  /** A usable access token (or API key), refreshed first when it is about to expire. */
  getAccessToken(connectionId: string, userId: string): Promise<string>;
}
