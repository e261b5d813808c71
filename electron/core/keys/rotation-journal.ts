import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SophonPaths } from '../config/paths';
import { errnoOf } from '../errors';
import { atomicWriteFile, ensurePrivateDir, fsyncDir, readFileIfExists } from '../fs/secure-fs';
import { parseJsonText, validate } from '../validation/parse';

/**
 * `security/rotation.json`: the journal of a master-key rotation in progress. No secret in it: key ids
 * and protector kinds only. Its phase says which key every reader and writer must use:
 *
 * - `prepare`: the new key may or may not be stored yet; nothing is sealed with it. Everyone uses `from`.
 * - `rewrap`: the new key is stored (staged); files are being re-sealed. Readers open each file with the
 *   key its header names (either); writers seal with `to`.
 * - `commit`: every file is sealed with `to` and synced; the new key is being moved into place and the
 *   old one retired. Everyone uses `to`.
 *
 * The journal is removed last, after the old key is gone.
 */
const KeyRefSchema = z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/), protector: z.string().min(1).max(50) });

const RotationJournalSchema = z.object({
  format: z.literal(1),
  phase: z.enum(['prepare', 'rewrap', 'commit']),
  from: KeyRefSchema,
  to: KeyRefSchema,
  startedAt: z.string(),
  /** The process that last worked on the rotation: its leftover per-file locks may be cleared once it is dead. */
  pid: z.number().int().positive(),
});

export type RotationJournal = z.infer<typeof RotationJournalSchema>;
export type RotationKeyRef = z.infer<typeof KeyRefSchema>;

export const ROTATION_JOURNAL_FILE = 'rotation.json';
/** Where a new key waits (for protectors that keep one key in one file) until every file is sealed with it. */
export const STAGED_KEY_DIR = 'next-key';

export function rotationJournalFile(paths: SophonPaths): string {
  return join(paths.securityDir, ROTATION_JOURNAL_FILE);
}

/** The same layout with the security folder moved to the staging folder: a protector built on it keeps its key there. */
export function stagedPaths(paths: SophonPaths): SophonPaths {
  const securityDir = join(paths.securityDir, STAGED_KEY_DIR);
  return { ...paths, securityDir, keyFile: join(securityDir, 'vault.key'), keyInfoFile: join(securityDir, 'keyinfo.json') };
}

export async function readRotationJournal(paths: SophonPaths): Promise<RotationJournal | null> {
  const file = rotationJournalFile(paths);
  const raw = await readFileIfExists(file);
  if (raw === null) return null;
  const what = `Key rotation journal ${file}`;
  return validate(RotationJournalSchema, parseJsonText(raw.toString('utf8'), what), what);
}

export async function writeRotationJournal(paths: SophonPaths, journal: RotationJournal): Promise<void> {
  await ensurePrivateDir(paths.securityDir);
  await atomicWriteFile(rotationJournalFile(paths), JSON.stringify(journal, null, 2) + '\n');
}

export async function removeRotationJournal(paths: SophonPaths): Promise<void> {
  await fsp.unlink(rotationJournalFile(paths)).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') throw err;
  });
  await fsyncDir(paths.securityDir);
}

/**
 * The content of the two small files that decide which key is current (journal and keyinfo.json). Their
 * content rather than their inode and mtime: a rename can reuse an inode, and mtime has the kernel's
 * coarse granularity, so two journal phases written within a few ms could look alike.
 */
export async function keyStateSignature(paths: SophonPaths): Promise<string> {
  const [journal, info] = await Promise.all([readFileIfExists(rotationJournalFile(paths)), readFileIfExists(paths.keyInfoFile)]);
  return `${journal?.toString('utf8') ?? '-'}\0${info?.toString('utf8') ?? '-'}`;
}
