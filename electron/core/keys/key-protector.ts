import { createHmac } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;

export interface MasterKey {
  /** Public, stable name of the key: written in every vault file's header. */
  readonly id: string;
  readonly key: Buffer;
}

/**
 * Keeps the vault's master key somewhere the OS protects. One implementation per mechanism; which one is
 * used is the person's explicit choice (`Sophon.Vault.KeyProtector`), never a silent fallback.
 */
export interface KeyProtector {
  /** Its name in the registry (registry.ts) and in `Sophon.Vault.KeyProtector`. */
  readonly kind: string;
  /** Where the key with this id is (or would be) kept, in words a person can act on. No secret. */
  location(keyId: string): string;
  /** The key, or null when the store answers but holds no such key. Throws when the store cannot be asked. */
  load(keyId: string): Promise<Buffer | null>;
  /** Throws when the store cannot be asked; reads no key, so it is safe while another process creates one. */
  probe(): Promise<void>;
  /** Keeps a newly created key. Returns false when a key is already there (another process created one first). */
  store(keyId: string, key: Buffer): Promise<boolean>;
  remove(keyId: string): Promise<void>;
  /** How a person gets a lost key back, for the "key is missing" error; the generic advice when absent. */
  restoreAdvice?(keyId: string): string;
}

/** A key's id is derived from the key, so a store that hands back a different key is caught, not trusted. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('sophon vault key id v1').digest('hex').slice(0, 16);
}
