import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SophonError } from '../errors';

/**
 * Backup file, format 1:
 *
 *   magic "SPHB" (4) | version (1) | kdf 1=Argon2id (1) | memory KiB (u32 BE) | passes (u32 BE) |
 *   lanes (u32 BE) | salt (16) | nonce (12) | AES-256-GCM ciphertext | tag (16)
 *
 * The key is Argon2id(passphrase, salt) with the parameters written in the header, so a restore needs
 * nothing but the file and the passphrase (no OS key). The whole header is the associated data: one
 * flipped bit anywhere (header, body or tag) fails the GCM check.
 */
const MAGIC = Buffer.from('SPHB', 'ascii');
export const BACKUP_FORMAT_VERSION = 1;
const KDF_ARGON2ID = 1;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const BACKUP_HEADER_BYTES = MAGIC.length + 1 + 1 + 4 * 3 + SALT_BYTES + NONCE_BYTES;

export interface KdfParams {
  /** Memory in KiB. */
  memoryKiB: number;
  passes: number;
  lanes: number;
}

/** RFC 9106 §4, second recommended option (64 MiB, t=3, p=4): for machines without 2 GiB to spare. */
export const DEFAULT_KDF: KdfParams = { memoryKiB: 64 * 1024, passes: 3, lanes: 4 };

/**
 * What a file may ask of a restore. A hostile header could otherwise make restore allocate gigabytes or
 * spin for hours; below the floor, a file would be protected by a derivation too cheap to trust.
 */
export const KDF_BOUNDS = { memoryKiB: [19 * 1024, 1024 * 1024], passes: [1, 20], lanes: [1, 16] } as const;

export class BackupFileError extends SophonError {
  constructor(file: string, detail: string) {
    super('backup_unreadable', `The backup ${file} ${detail} Nothing was changed.`);
    this.name = 'BackupFileError';
  }
}

export async function deriveBackupKey(passphrase: string, salt: Buffer, params: KdfParams): Promise<Buffer> {
  const argon2 = await import('argon2');
  return argon2.hash(passphrase, {
    type: argon2.argon2id,
    raw: true,
    salt,
    memoryCost: params.memoryKiB,
    timeCost: params.passes,
    parallelism: params.lanes,
    hashLength: 32,
  });
}

export interface SealOptions {
  params?: KdfParams;
  /** A key already derived for this salt and these parameters (scheduled backups keep one). */
  derived?: { key: Buffer; salt: Buffer };
}

export async function sealBackup(passphrase: string | null, body: Buffer, options: SealOptions = {}): Promise<Buffer> {
  const params = options.params ?? DEFAULT_KDF;
  checkParams('(new)', params);
  const salt = options.derived?.salt ?? randomBytes(SALT_BYTES);
  let key: Buffer;
  if (options.derived) key = options.derived.key;
  else if (passphrase !== null) key = await deriveBackupKey(passphrase, salt, params);
  else throw new SophonError('internal', 'sealBackup needs a passphrase or a derived key.');
  const header = Buffer.alloc(BACKUP_HEADER_BYTES);
  let o = MAGIC.copy(header, 0);
  o = header.writeUInt8(BACKUP_FORMAT_VERSION, o);
  o = header.writeUInt8(KDF_ARGON2ID, o);
  o = header.writeUInt32BE(params.memoryKiB, o);
  o = header.writeUInt32BE(params.passes, o);
  o = header.writeUInt32BE(params.lanes, o);
  o += salt.copy(header, o);
  randomBytes(NONCE_BYTES).copy(header, o);
  const cipher = createCipheriv('aes-256-gcm', key, header.subarray(o, o + NONCE_BYTES));
  cipher.setAAD(header);
  const ct = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([header, ct, cipher.getAuthTag()]);
}

export interface BackupHeader {
  params: KdfParams;
  salt: Buffer;
}

/** Checks what can be checked without the passphrase: magic, version, KDF and its parameters' bounds. */
export function readBackupHeader(file: string, data: Buffer): BackupHeader {
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupFileError(file, 'is not a Sophon backup (unknown magic bytes).');
  }
  if (data.length < BACKUP_HEADER_BYTES + TAG_BYTES) {
    throw new BackupFileError(file, `is truncated (${data.length} bytes).`);
  }
  const version = data.readUInt8(4);
  if (version !== BACKUP_FORMAT_VERSION) {
    throw new BackupFileError(file, `has format version ${version}; this Sophon reads version ${BACKUP_FORMAT_VERSION}.`);
  }
  const kdf = data.readUInt8(5);
  if (kdf !== KDF_ARGON2ID) throw new BackupFileError(file, `names key derivation ${kdf}, which this Sophon does not know (damaged?).`);
  const params: KdfParams = { memoryKiB: data.readUInt32BE(6), passes: data.readUInt32BE(10), lanes: data.readUInt32BE(14) };
  checkParams(file, params);
  return { params, salt: Buffer.from(data.subarray(18, 18 + SALT_BYTES)) };
}

function checkParams(file: string, p: KdfParams): void {
  for (const name of ['memoryKiB', 'passes', 'lanes'] as const) {
    const [lo, hi] = KDF_BOUNDS[name];
    if (!Number.isInteger(p[name]) || p[name] < lo || p[name] > hi) {
      throw new BackupFileError(file, `asks for Argon2id ${name}=${p[name]}, outside ${lo}..${hi} (damaged, or not made by Sophon).`);
    }
  }
}

/** Decrypts with a key derived from the passphrase; a wrong passphrase and a damaged file look the same to GCM. */
export async function openBackup(file: string, data: Buffer, passphrase: string): Promise<Buffer> {
  const { params, salt } = readBackupHeader(file, data);
  const key = await deriveBackupKey(passphrase, salt, params);
  const header = data.subarray(0, BACKUP_HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, header.subarray(BACKUP_HEADER_BYTES - NONCE_BYTES));
  decipher.setAAD(header);
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(data.subarray(BACKUP_HEADER_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new BackupFileError(file, 'could not be opened: the passphrase is wrong, or the file was altered or damaged.');
  }
}

/**
 * The recovery phrase is typed back by hand: its groups are accepted in either case and with spaces
 * around. Any other passphrase is taken exactly as given.
 */
export function normalizePassphrase(passphrase: string): string {
  const t = passphrase.trim();
  return /^[a-z2-9]{4}(-[a-z2-9]{4}){7}$/i.test(t) ? t.toUpperCase() : passphrase;
}

/** The system secret that holds a scheduled backup's derived key (schedule.ts); never itself backed up. */
export const SCHEDULE_KEY_SECRET = 'backup-schedule-key';

const PHRASE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * A recovery phrase of 160 random bits: 32 characters from a 32-letter alphabet without look-alikes
 * (no I, O, 0, 1), in 8 groups of 4 to read and type back.
 */
export function generateRecoveryPhrase(): string {
  const bytes = randomBytes(32);
  const chars = [...bytes].map((b) => PHRASE_ALPHABET[b & 31]!);
  return Array.from({ length: 8 }, (_, i) => chars.slice(i * 4, i * 4 + 4).join('')).join('-');
}
