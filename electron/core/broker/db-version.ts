import { closeSync, openSync, readSync } from 'node:fs';
import { commitCounter, type Database } from '../db/database';

/** The wal-index header's version field (in the machine's byte order) for every SQLite since 3.7.0 (https://sqlite.org/walformat.html). */
const WAL_INDEX_VERSION = 3007000;
/** The first copy of the wal-index header: version, change counter, frame count, salts, checksums. */
const HEADER_BYTES = 48;

export interface DbVersion {
  /** A number that changes whenever any process, this one included, committed to the database since the last call. */
  read(): number;
  close(): void;
  /** Where the answer comes from (once read): the wal-index header, or SQLite's own counters. */
  readonly source: 'wal-index' | 'sqlite' | undefined;
}

/**
 * Tells the broker, on every request, whether sophon.db changed (a token revoked by `sophon broker
 * revoke`, a connection removed, a credential re-authorised) without asking SQLite for it: `PRAGMA
 * data_version` opens a read transaction (file locks and a stat: ~10 µs, a tenth of a proxied call).
 * In WAL mode every commit rewrites the wal-index header in `<db>-shm` (its change counter `iChange` is
 * incremented by each transaction, see walformat.html), so one read of those 48 bytes says the same. A
 * header being written while read only looks changed (the caches are rebuilt once, harmlessly). Without
 * a readable wal-index of the known format it falls back to data_version and total_changes().
 */
export function dbVersion(db: Database): DbVersion {
  let read: (() => number) | undefined;
  let shm: number | undefined;
  let closed = false;
  let version = 0;
  // Opened on the first request, not when a broker is made only to mint or revoke tokens.
  const start = (): (() => number) => {
    shm = openShm(db);
    if (shm === undefined) {
      return commitCounter(db);
    }
    const fd = shm;
    const last = Buffer.alloc(HEADER_BYTES);
    const now = Buffer.alloc(HEADER_BYTES);
    readSync(fd, last, 0, HEADER_BYTES, 0);
    return () => {
      readSync(fd, now, 0, HEADER_BYTES, 0);
      if (!now.equals(last)) {
        now.copy(last);
        version++;
      }
      return version;
    };
  };
  return {
    get source() {
      return read === undefined ? undefined : shm === undefined ? 'sqlite' : 'wal-index';
    },
    // After close (a call still in flight), every read says "changed": caches are not trusted any more.
    read: () => (closed ? ++version : (read ??= start())()),
    close: () => {
      closed = true;
      if (shm !== undefined) closeSync(shm);
      shm = undefined;
    },
  };
}

function openShm(db: Database): number | undefined {
  if (db.memory || String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
  // The wal-index exists once the connection has read in WAL mode; this read makes sure it did.
  db.pragma('data_version');
  let fd: number | undefined;
  try {
    fd = openSync(`${db.name}-shm`, 'r');
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES || (header.readUInt32LE(0) !== WAL_INDEX_VERSION && header.readUInt32BE(0) !== WAL_INDEX_VERSION)) throw new Error('unknown wal-index');
    return fd;
  } catch {
    if (fd !== undefined) closeSync(fd);
    return undefined;
  }
}
