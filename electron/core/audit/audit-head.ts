import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { MasterKey } from '../keys/key-protector';
import { DIR_MODE, FILE_MODE } from '../fs/secure-fs';
import type { TrustedHead } from './chain-store';

/**
 * `security/audit-head.json`: the last (row id, hash) of the audit chain known to a writer that held the
 * vault key, with an HMAC under a key derived from the vault key. Outside sophon.db, so deleting the
 * table's last rows is caught; authenticated, so it cannot be moved back without the key.
 */
const HeadFileSchema = z.object({
  format: z.literal(1),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  rowId: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
type HeadFile = z.infer<typeof HeadFileSchema>;

export const AUDIT_HEAD_FILE = 'audit-head.json';

export type HeadState =
  /** The head's HMAC checks out under this vault key. */
  | { state: 'verified'; head: TrustedHead }
  /** No key (keyless context, locked keychain): the chain is checked, the head is not. */
  | { state: 'unavailable'; reason: string }
  /** No file: no writer with the vault key has written a row yet. */
  | { state: 'missing' }
  /** Written under an earlier vault key (a rotation): the next write under this key replaces it. */
  | { state: 'other_key'; keyId: string }
  /** Unreadable, or its HMAC is wrong: someone edited it. */
  | { state: 'forged'; reason: string };

function headKey(master: MasterKey): Buffer {
  return Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), 'sophon audit head v1', 32));
}

function macOf(key: Buffer, keyId: string, rowId: number, hash: string): string {
  return createHmac('sha256', key).update(`sophon-audit-head/1\n${keyId}\n${rowId}\n${hash}`).digest('hex');
}

/** Reads and writes the head; the HMAC key is derived once per vault key. */
export class AuditHeadStore {
  readonly file: string;
  private derived: { keyId: string; key: Buffer } | undefined;

  constructor(securityDir: string) {
    this.file = join(securityDir, AUDIT_HEAD_FILE);
  }

  private keyFor(master: MasterKey): Buffer {
    if (this.derived?.keyId !== master.id) this.derived = { keyId: master.id, key: headKey(master) };
    return this.derived.key;
  }

  private readRaw(): HeadFile | 'absent' | 'unreadable' {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'unreadable';
    }
    try {
      const parsed = HeadFileSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : 'unreadable';
    } catch {
      return 'unreadable';
    }
  }

  read(master: MasterKey | null, unavailableReason = 'the vault key is not available'): HeadState {
    const raw = this.readRaw();
    if (raw === 'absent') return { state: 'missing' };
    if (!master) return { state: 'unavailable', reason: unavailableReason };
    if (raw === 'unreadable') return { state: 'forged', reason: `${this.file} is not a valid audit head file` };
    if (raw.keyId !== master.id) return { state: 'other_key', keyId: raw.keyId };
    const expected = Buffer.from(macOf(this.keyFor(master), raw.keyId, raw.rowId, raw.hash), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(raw.mac, 'hex'))) return { state: 'forged', reason: `the HMAC of ${this.file} does not match: it was edited` };
    return { state: 'verified', head: { rowId: raw.rowId, hash: raw.hash } };
  }

  /**
   * After a committed write: moves the head forward, never back (two processes may finish out of order;
   * an older head is still true, only less far). Synchronous so a CLI command that exits at once has
   * written it; at most once a second per process (AuditLog).
   */
  advance(master: MasterKey, head: TrustedHead): void {
    const current = this.readRaw();
    if (typeof current === 'object' && current.keyId === master.id && current.rowId >= head.rowId) return;
    const file: HeadFile = { format: 1, keyId: master.id, rowId: head.rowId, hash: head.hash, mac: macOf(this.keyFor(master), master.id, head.rowId, head.hash) };
    mkdirSync(dirname(this.file), { recursive: true, mode: DIR_MODE });
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fd = openSync(tmp, 'wx', FILE_MODE);
    try {
      // No fsync: on ext4 it also flushes everything else pending (sophon.db's WAL), which stalled a busy
      // broker for hundreds of ms. The rename is atomic; after a power cut the head may be an older one
      // (or, at worst, unreadable, reported as such), never a wrong one under a valid HMAC.
      writeSync(fd, JSON.stringify(file) + '\n');
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
  }
}
