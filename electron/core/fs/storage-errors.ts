import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf, isSophonError, SophonError } from '../errors';

const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);
const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** True for the errno of a folder Sophon may read but not write (a read-only mount, or not the user's). */
export function isReadOnlyErrno(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && READ_ONLY.has(code);
}

/**
 * A failed write to `path` as a one-line SophonError naming the file and what to do, for the causes a
 * person can fix (read-only folder, no permission, full disk); any other error is returned unchanged.
 */
export function storageWriteError(err: unknown, path: string): unknown {
  if (isSophonError(err)) return err;
  const code = errnoOf(err);
  if (code === 'EROFS') {
    return new SophonError('storage_readonly', `Cannot write ${path}: ${dirname(path)} is on a read-only file system (EROFS); make it writable, or set SOPHON_HOME to a writable folder.`, { cause: err });
  }
  if (code !== undefined && READ_ONLY.has(code)) {
    return new SophonError('storage_readonly', `Cannot write ${path}: permission denied (${code}); make ${dirname(path)} writable by you, or set SOPHON_HOME to a writable folder.`, { cause: err });
  }
  if (code !== undefined && FULL.has(code)) {
    return new SophonError('storage_full', `Cannot write ${path}: the disk is full (${code}); free some space and try again.`, { cause: err });
  }
  return err;
}

/** Runs a write and turns its failure into storageWriteError's one line. */
export async function writingTo<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw storageWriteError(err, path);
  }
}

/**
 * An error from SQLite on `file` (better-sqlite3's SqliteError carries SQLite's code) as a SophonError:
 * a damaged or foreign file, a read-only one, a full disk. Anything else is returned unchanged.
 */
export function databaseError(err: unknown, file: string): unknown {
  if (isSophonError(err)) return err;
  const code = errnoOf(err);
  if (code === undefined || !code.startsWith('SQLITE_')) return err;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new SophonError('database_corrupt', `${file} is damaged or not a Sophon database (${code}); run \`sophon vault recover\` to rebuild it from the vault files.`, { cause: err });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new SophonError('storage_readonly', `Cannot write ${file}: it or its folder ${dirname(file)} is read-only (${code}); make it writable, or set SOPHON_HOME to a writable folder.`, { cause: err });
  }
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && diskFull(dirname(file)))) {
    // A full disk often reaches SQLite as an I/O error (growing the -shm or -wal file): the folder's free space tells.
    return new SophonError('storage_full', `Cannot write ${file}: the disk is full (${code}); free some space and try again.`, { cause: err });
  }
  return err;
}

/**
 * The last resort of a door (the CLI's reportError): a Node error that only a write raises (read-only
 * mount, full disk) and names its file, from a path no closer code translated.
 */
export function unhandledStorageError(err: unknown): unknown {
  const code = errnoOf(err);
  if (code !== 'EROFS' && (code === undefined || !FULL.has(code))) return err;
  const path = typeof err === 'object' && err !== null && 'path' in err && typeof err.path === 'string' ? err.path : undefined;
  return path === undefined ? err : storageWriteError(err, path);
}

/** No block left for the user in the file system holding `dir` (false where that cannot be told). */
function diskFull(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}
