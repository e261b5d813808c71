import { closeSync, chmodSync, existsSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SophonError } from '../errors';
import { ensurePrivateDir, FILE_MODE } from '../fs/secure-fs';
import { MIGRATIONS } from './migrations';

export type Database = BetterSqlite3.Database;

// The CLI and tests run as ES modules, the Electron main bundle as CommonJS (where require exists).
const nodeRequire: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url);

/**
 * Opens sophon.db: private to the user (SQLite gives its -wal and -shm files the database file's mode),
 * WAL so the app and the CLI read while the other writes, and a busy timeout so they wait rather than fail.
 */
export async function openDatabase(file: string, migrations: readonly string[] = MIGRATIONS): Promise<Database> {
  await ensurePrivateDir(dirname(file));
  // Create it 0600 before SQLite does, which would use the umask.
  closeSync(openSync(file, 'a', FILE_MODE));
  if (process.platform !== 'win32') chmodSync(file, FILE_MODE);
  // The CLI bundle carries better-sqlite3's JavaScript (compiled with the rest, from the code cache)
  // and hands it the addon's path: the native module loads here, when a database is opened. Where the
  // addon is not at that path, the package from node_modules finds it its own way.
  const addon = nativeBinding();
  const Sqlite = addon ? BetterSqlite3 : (nodeRequire('better-sqlite3') as typeof BetterSqlite3);
  const db = new Sqlite(file, { nativeBinding: addon });
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, migrations, file);
  return db;
}

/**
 * better-sqlite3's addon where its build puts it. Without this, better-sqlite3 asks the `bindings`
 * package, which probes a dozen paths on every start. Undefined (let `bindings` search) where it is
 * not there, e.g. a prebuilt binary in another folder, and in Electron (asar-packed apps).
 */
function nativeBinding(): string | undefined {
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
export function migrate(db: Database, migrations: readonly string[], file: string): void {
  if (schemaVersion(db) === migrations.length) return;
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > migrations.length) {
      throw new SophonError('internal', `${file} has schema version ${current}, newer than this Sophon knows (${migrations.length}); update Sophon.`);
    }
    for (let v = current; v < migrations.length; v++) {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
