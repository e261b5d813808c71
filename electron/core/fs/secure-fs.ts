import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from '../errors';
import { storageWriteError, writingTo } from './storage-errors';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * Creates the folder (and parents) private to the user, and tightens an existing one. A folder that
 * cannot be created or tightened (read-only, not the user's, disk full) is a one-line SophonError.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw storageWriteError(await whyNoFolder(dir, err), dir);
  }
  if (process.platform !== 'win32') {
    const st = await fsp.stat(dir);
    if ((st.mode & 0o777) !== DIR_MODE) await writingTo(dir, () => fsp.chmod(dir, DIR_MODE));
  }
}

/** A recursive mkdir under a read-only mount says ENOENT: ask the nearest existing parent why instead. */
async function whyNoFolder(dir: string, err: unknown): Promise<unknown> {
  if (errnoOf(err) !== 'ENOENT') return err;
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    try {
      await fsp.access(parent, constants.W_OK);
      return err;
    } catch (accessErr) {
      if (errnoOf(accessErr) !== 'ENOENT') return accessErr;
    }
    if (dirname(parent) === parent) return err;
  }
}

const TEMP_RE = /^\.(.+)\.(\d+)\.([0-9a-f]{12})\.tmp$/;

/** Temp names carry the writer's pid so a later process can tell a crashed writer's leftovers from a live write. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS's rename is journaled there.
  if (process.platform === 'win32') return;
  const fh = await fsp.open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A complete, synced file under a temp name beside `path` (one that `removeStaleTemps` recognises). */
export async function writeTemp(path: string, data: Uint8Array | string): Promise<string> {
  const tmp = tempPathFor(path);
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/**
 * Replaces `path` so that a reader, or a crash at any instant, sees either the old or the new content:
 * temp file in the same folder, fsync, rename over the target, fsync the folder.
 */
export function atomicWriteFile(path: string, data: Uint8Array | string): Promise<void> {
  return writingTo(path, () => replaceFile(path, data));
}

async function replaceFile(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = await writeTemp(path, data);
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

/**
 * Writes `path` only if nothing is there yet, atomically (hard link of a complete temp file).
 * Returns false when another writer got there first; that writer's content is left untouched.
 */
export function createFileExclusive(path: string, data: Uint8Array | string): Promise<boolean> {
  return writingTo(path, () => linkNewFile(path, data));
}

async function linkNewFile(path: string, data: Uint8Array | string): Promise<boolean> {
  const tmp = await writeTemp(path, data);
  try {
    await fsp.link(tmp, path);
    await fsyncDir(dirname(path));
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await fsp.unlink(tmp).catch(() => undefined);
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

export interface TempScan {
  removed: string[];
  inFlight: string[];
}

/** Removes temp files left by writers that died mid-write (`kill -9`); leaves live writers' temps alone. */
export async function removeStaleTemps(dir: string): Promise<TempScan> {
  const scan: TempScan = { removed: [], inFlight: [] };
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return scan;
    throw err;
  }
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) {
      scan.inFlight.push(name);
      continue;
    }
    await fsp.unlink(join(dir, name)).catch((err: unknown) => {
      if (errnoOf(err) !== 'ENOENT') throw err;
    });
    scan.removed.push(name);
  }
  return scan;
}

/**
 * Reads a small file in one read (open, read, close) instead of readFile's fstat and read-to-EOF;
 * vault files are a few hundred bytes, so this is the hot path of every credential read.
 * Returns null when the file does not exist.
 */
export async function readSmallFile(path: string, expectedMax = 16 * 1024): Promise<Buffer | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(expectedMax);
    const { bytesRead } = await fh.read(buf, 0, expectedMax, 0);
    if (bytesRead < expectedMax) return buf.subarray(0, bytesRead);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

export async function readFileIfExists(path: string): Promise<Buffer | null> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw err;
  }
}
