import { closeSync, chmodSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { isSophonError, SophonError } from '../errors';
import { ensurePrivateDir, FILE_MODE } from '../fs/secure-fs';
import { databaseError, isReadOnlyErrno, storageWriteError } from '../fs/storage-errors';
import { MIGRATIONS, type Migration } from './migrations';

export type Database = BetterSqlite3.Database;

// The CLI and tests run as ES modules, the Electron main bundle as CommonJS (where require exists).
const nodeRequire: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url);

export interface OpenDatabaseOptions {
  /**
   * When the folder or the file cannot be written (a read-only mount, another user's folder), open it
   * read-only instead of failing: for commands that only read. `isReadOnly(db)` then says so.
   */
  readOnlyFallback?: boolean;
}

const readOnlyDatabases = new WeakSet<Database>();

/** True when openDatabase fell back to reading only: every write to it fails with storage_readonly. */
export function isReadOnly(db: Database): boolean {
  return readOnlyDatabases.has(db);
}

/**
 * Opens sophon.db: private to the user (SQLite gives its -wal and -shm files the database file's mode),
 * WAL so the app and the CLI read while the other writes, and a busy timeout so they wait rather than fail.
 * A damaged file is database_corrupt (naming `sophon vault recover`), never an unexpected error.
 */
export async function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS, options: OpenDatabaseOptions = {}): Promise<Database> {
  try {
    await ensurePrivateDir(dirname(file));
    // Create it 0600 before SQLite does, which would use the umask.
    closeSync(openSync(file, 'a', FILE_MODE));
    if (process.platform !== 'win32') chmodSync(file, FILE_MODE);
  } catch (err) {
    if (options.readOnlyFallback && isReadOnlyErrno(err)) return openReadOnly(file, migrations);
    throw storageWriteError(err, file);
  }
  let db: Database | undefined;
  try {
    db = new (sqlite())(file, { nativeBinding: nativeBinding() });
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations, file);
    return db;
  } catch (err) {
    db?.close();
    const error = databaseError(err, file);
    // A full disk leaves no room for the -shm file a WAL reader needs: reading a copy in memory still works.
    if (options.readOnlyFallback && (isSophonError(error, 'storage_readonly') || isSophonError(error, 'storage_full'))) return openReadOnly(file, migrations);
    throw error;
  }
}

/**
 * Read-only: SQLite itself where it can (the -wal and -shm files are there), else a copy in memory of
 * the file (on a read-only folder nothing changes it under us; on a full disk nothing can write it), or
 * an empty schema when there is no file yet. `query_only` makes every write fail, so nothing written is silently lost.
 */
function openReadOnly(file: string, migrations: readonly Migration[]): Database {
  const Sqlite = sqlite();
  const binding = nativeBinding();
  let db: Database;
  try {
    let direct: Database | undefined;
    try {
      direct = new Sqlite(file, { readonly: true, fileMustExist: true, nativeBinding: binding });
      schemaVersion(direct);
      db = direct;
    } catch (err) {
      direct?.close();
      if (isSophonError(databaseError(err, file), 'database_corrupt')) throw err;
      const image = existsSync(file) ? readFileSync(file) : null;
      // A WAL database cannot be deserialized as one: bytes 18-19 (write and read version 2) say WAL.
      if (image && image.length >= 20 && image[18] === 2 && image[19] === 2) image[18] = image[19] = 1;
      db = image && image.length > 0 ? new Sqlite(image, { nativeBinding: binding }) : new Sqlite(':memory:', { nativeBinding: binding });
      if (!image || image.length === 0) migrate(db, migrations, file);
    }
    db.pragma('query_only = ON');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    throw databaseError(err, file);
  }
  const version = schemaVersion(db);
  if (version !== migrations.length) {
    db.close();
    throw new SophonError(
      version < migrations.length ? 'storage_readonly' : 'internal',
      version < migrations.length
        ? `${file} needs its schema updated (version ${version} to ${migrations.length}), but ${dirname(file)} is read-only; run Sophon once with it writable.`
        : `${file} has schema version ${version}, newer than this Sophon knows (${migrations.length}); update Sophon.`,
    );
  }
  readOnlyDatabases.add(db);
  return db;
}

/**
 * A second connection that only reads an existing sophon.db, for a worker thread (each thread needs its
 * own: a better-sqlite3 handle stays in the thread that opened it). No migration: the opener of the
 * main connection has brought the schema up to date. WAL lets it read while the app or the broker writes.
 */
export function openReader(file: string): Database {
  let db: Database | undefined;
  try {
    db = new (sqlite())(file, { readonly: true, fileMustExist: true, nativeBinding: nativeBinding() });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    db?.close();
    throw databaseError(err, file);
  }
}

function sqlite(): typeof BetterSqlite3 {
  // The CLI bundle carries better-sqlite3's JavaScript (compiled with the rest, from the code cache)
  // and hands it the addon's path: the native module loads here, when a database is opened. Where the
  // addon is not at that path, the package from node_modules finds it its own way.
  return nativeBinding() ? BetterSqlite3 : (nodeRequire('better-sqlite3') as typeof BetterSqlite3);
}

/**
 * better-sqlite3's addon where its build puts it. Without this, better-sqlite3 asks the `bindings`
 * package, which probes a dozen paths on every start. Undefined (let `bindings` search) where it is
 * not there, e.g. a prebuilt binary in another folder, and in Electron (asar-packed apps).
 */
let addonPath: { path: string | undefined } | undefined;
function nativeBinding(): string | undefined {
  return (addonPath ??= { path: findNativeBinding() }).path;
}

function findNativeBinding(): string | undefined {
  if (process.versions.electron !== undefined) return undefined;
  try {
    const addon = join(dirname(nodeRequire.resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node');
    return existsSync(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema up to date; IMMEDIATE so two processes never run the same migration. */
export function migrate(db: Database, migrations: readonly Migration[], file: string): void {
  if (schemaVersion(db) === migrations.length) return;
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > migrations.length) {
      throw new SophonError('internal', `${file} has schema version ${current}, newer than this Sophon knows (${migrations.length}); update Sophon.`);
    }
    for (let v = current; v < migrations.length; v++) {
      const step = migrations[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}

/**
 * A number that moves whenever any process committed to the database (data_version) or this connection
 * did (total_changes): what the broker falls back to where it cannot read the wal-index (db-version.ts).
 */
export function commitCounter(db: Database): () => number {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const ownChanges = db.prepare('SELECT total_changes()').pluck();
  return () => (dataVersion.get() as number) * 2 ** 32 + (ownChanges.get() as number);
}

/** WAL checkpoints taken out of this connection's commits (the broker runs them in a worker instead). */
export interface WalCheckpoints {
  /** Stops automatic checkpoints on this connection; the returned function puts the setting back. */
  pauseAuto(): () => void;
  /** One passive checkpoint now (never waits for readers or writers). */
  checkpoint(): void;
}

export function walCheckpoints(db: Database): WalCheckpoints {
  return {
    pauseAuto: () => {
      const before = db.pragma('wal_autocheckpoint', { simple: true }) as number;
      db.pragma('wal_autocheckpoint = 0');
      return () => void db.pragma(`wal_autocheckpoint = ${Math.trunc(before)}`);
    },
    checkpoint: () => void db.pragma('wal_checkpoint(PASSIVE)'),
  };
}
