import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { errnoOf } from '../errors';
import { createFileExclusive } from '../fs/secure-fs';

/**
 * The cross-process lock of one connection's refresh: a file `<vault file>.refresh.lock` created
 * atomically with its owner in it (pid, the process's start time, host). A refresh killed mid-way
 * (`kill -9`, a crash) leaves the file behind; the next refresh sees that its owner is gone and takes
 * it over at once, instead of waiting for it to go stale. Only an owner Sophon cannot check (another
 * host sharing the folder, a lock of an older Sophon) falls back to staleness: untouched for STALE_MS.
 */
export const REFRESH_LOCK_SUFFIX = '.refresh.lock';
const TAKEOVER_SUFFIX = '.takeover';
const STALE_MS = 30_000;
/** The owner touches its lock this often, so a live lock of an uncheckable owner never looks stale. */
const UPDATE_MS = 5_000;
/** A takeover is a few file operations; a takeover folder older than this belongs to a process that died in one. */
const TAKEOVER_STALE_MS = 5_000;

const OwnerSchema = z.object({
  pid: z.number().int().positive(),
  /** /proc/<pid>/stat field 22 (Linux): tells a reused pid from the owner. Null where it cannot be read. */
  start: z.string().nullable(),
  host: z.string(),
  /** Tells this lock from a later one of the same process, so a release never removes another's lock. */
  nonce: z.string(),
});
type Owner = z.infer<typeof OwnerSchema>;

type LockState = { state: 'free' } | { state: 'live' | 'abandoned'; fingerprint: string };

export class RefreshLockBusyError extends Error {
  override readonly name = 'RefreshLockBusyError';
}

/** Start time of a process as the kernel counts it (clock ticks after boot), or null off Linux or when gone. */
export function processStartTime(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function ownerGone(owner: Owner): boolean | undefined {
  if (owner.host !== hostname()) return undefined;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (errnoOf(err) === 'ESRCH') return true;
  }
  if (owner.start === null) return false;
  const start = processStartTime(owner.pid);
  // Alive under that pid, but started at another time: the pid was reused after the owner died.
  return start !== null && start !== owner.start;
}

async function inspect(lockPath: string): Promise<LockState> {
  let text: string;
  let mtimeMs: number;
  try {
    const stat = await fsp.stat(lockPath);
    mtimeMs = stat.mtimeMs;
    // A folder is the lock of an older Sophon (proper-lockfile): only its age tells.
    text = stat.isDirectory() ? '' : await fsp.readFile(lockPath, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return { state: 'free' };
    throw err;
  }
  const fingerprint = `${mtimeMs}:${text}`;
  let gone: boolean | undefined;
  try {
    gone = ownerGone(OwnerSchema.parse(JSON.parse(text)));
  } catch {
    gone = undefined;
  }
  if (gone === undefined) gone = Date.now() - mtimeMs > STALE_MS;
  return { state: gone ? 'abandoned' : 'live', fingerprint };
}

/**
 * Removes the lock if its owner is gone; true if it did (or found none). Two processes doing this at
 * once must not remove a lock a third took in between: the removal happens under a takeover folder,
 * and only if the lock is still the one judged abandoned.
 */
async function removeIfAbandoned(lockPath: string): Promise<boolean> {
  const seen = await inspect(lockPath);
  if (seen.state !== 'abandoned') return seen.state === 'free';
  const takeover = `${lockPath}${TAKEOVER_SUFFIX}`;
  try {
    await fsp.mkdir(takeover);
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
    await removeStaleTakeover(takeover);
    return false;
  }
  try {
    const now = await inspect(lockPath);
    if (now.state !== 'abandoned' || now.fingerprint !== seen.fingerprint) return now.state === 'free';
    await fsp.rm(lockPath, { recursive: true, force: true });
    return true;
  } finally {
    await fsp.rmdir(takeover).catch(() => undefined);
  }
}

async function removeStaleTakeover(takeover: string): Promise<void> {
  try {
    const stat = await fsp.stat(takeover);
    if (Date.now() - stat.mtimeMs > TAKEOVER_STALE_MS) await fsp.rmdir(takeover);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}

/**
 * Takes the refresh lock of `vaultFile`, waiting up to `waitMs` for a live owner; an owner that died is
 * taken over at once. Returns the release.
 */
export async function acquireRefreshLock(vaultFile: string, waitMs: number): Promise<() => Promise<void>> {
  const lockPath = `${vaultFile}${REFRESH_LOCK_SUFFIX}`;
  const me: Owner = { pid: process.pid, start: processStartTime(process.pid), host: hostname(), nonce: randomBytes(8).toString('hex') };
  const mine = JSON.stringify(me);
  const deadline = Date.now() + waitMs;
  let delay = 20;
  while (!(await createFileExclusive(lockPath, mine))) {
    if (await removeIfAbandoned(lockPath)) continue;
    if (Date.now() >= deadline) throw new RefreshLockBusyError(`${lockPath} is held by a live process`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(200, Math.ceil(delay * 1.3));
  }
  const touch = setInterval(() => {
    const now = new Date();
    fsp.utimes(lockPath, now, now).catch(() => undefined);
  }, UPDATE_MS);
  touch.unref();
  return async () => {
    clearInterval(touch);
    // Only our own lock: had it been taken over (we looked stale), removing it would free another's.
    const text = await fsp.readFile(lockPath, 'utf8').catch(() => null);
    if (text === mine) await fsp.unlink(lockPath).catch(() => undefined);
  };
}

/**
 * For `vault verify`: true if `name` in the vault folder is a refresh lock (or its takeover folder),
 * which is then not a stray: a live one is left alone, an abandoned one removed.
 */
export async function settleRefreshLock(vaultDir: string, name: string): Promise<boolean> {
  const path = join(vaultDir, name);
  if (name.endsWith(REFRESH_LOCK_SUFFIX)) {
    await removeIfAbandoned(path);
    return true;
  }
  if (name.endsWith(`${REFRESH_LOCK_SUFFIX}${TAKEOVER_SUFFIX}`)) {
    await removeStaleTakeover(path);
    return true;
  }
  return false;
}
