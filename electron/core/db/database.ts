import { closeSync, chmodSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
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
  // Loaded here, not at the top: a native module that only database commands pay for.
  const Sqlite = nodeRequire('better-sqlite3') as typeof BetterSqlite3;
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, migrations, file);
  return db;
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
