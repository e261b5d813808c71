import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SophonError } from '../errors';
import type { MasterKey } from '../keys/key-protector';

/**
 * Vault file, format 1:
 *
 *   magic "SPHV" (4) | format version (1) | key id (8) | nonce (12) | AES-256-GCM ciphertext | tag (16)
 *
 * The associated data is the whole header plus the credential's identity (user, connection), so a
 * header edit, a different key, or a file copied or renamed to another user or connection fails to open.
 */
const MAGIC = Buffer.from('SPHV', 'ascii');
export const FORMAT_VERSION = 1;
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES + NONCE_BYTES;
export const MIN_FILE_BYTES = HEADER_BYTES + TAG_BYTES;

export type VaultFileProblem = 'truncated' | 'not_a_vault_file' | 'unsupported_version' | 'other_key' | 'integrity' | 'bad_content';

export class VaultFileError extends SophonError {
  constructor(
    readonly file: string,
    readonly problem: VaultFileProblem,
    detail: string,
  ) {
    super(problem === 'other_key' ? 'vault_key_mismatch' : 'vault_file_corrupt', `Vault file ${file} ${detail}`);
    this.name = 'VaultFileError';
  }
}

function aad(header: Buffer, userId: string, connectionId: string): Buffer {
  return Buffer.concat([header, Buffer.from(`\0sophon-vault\0${userId}\0${connectionId}`, 'utf8')]);
}

export function encryptVaultFile(key: MasterKey, userId: string, connectionId: string, plaintext: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(FORMAT_VERSION, MAGIC.length);
  Buffer.from(key.id, 'hex').copy(header, MAGIC.length + 1);
  randomBytes(NONCE_BYTES).copy(header, MAGIC.length + 1 + KEY_ID_BYTES);
  const nonce = header.subarray(HEADER_BYTES - NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce);
  cipher.setAAD(aad(header, userId, connectionId));
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/** The key id in a file's header, or null when the file is too damaged to say. */
export function readKeyId(data: Buffer): string | null {
  if (data.length < HEADER_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  return data.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES).toString('hex');
}

export function decryptVaultFile(file: string, key: MasterKey, userId: string, connectionId: string, data: Buffer): Buffer {
  if (data.length >= MAGIC.length && !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new VaultFileError(file, 'not_a_vault_file', 'is not a Sophon vault file (unknown magic bytes).');
  }
  if (data.length < MIN_FILE_BYTES) {
    throw new VaultFileError(file, 'truncated', `is truncated (${data.length} bytes; a vault file has at least ${MIN_FILE_BYTES}).`);
  }
  const version = data.readUInt8(MAGIC.length);
  if (version !== FORMAT_VERSION) {
    throw new VaultFileError(file, 'unsupported_version', `has format version ${version}; this Sophon reads version ${FORMAT_VERSION}.`);
  }
  const keyId = readKeyId(data)!;
  if (keyId !== key.id) {
    throw new VaultFileError(file, 'other_key', `is encrypted with key ${keyId}, not with the vault's key ${key.id}.`);
  }
  const header = data.subarray(0, HEADER_BYTES);
  const nonce = header.subarray(HEADER_BYTES - NONCE_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.key, nonce);
  decipher.setAAD(aad(header, userId, connectionId));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(data.subarray(HEADER_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new VaultFileError(
      file,
      'integrity',
      'failed its integrity check: it was altered or damaged, or it belongs to another user or connection.',
    );
  }
}
