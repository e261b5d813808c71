import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { dbVersion } from '../../../electron/core/broker/db-version';
import { openDatabase } from '../../../electron/core/db/database';
import { tempHome } from '../../helpers/home';

const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

/** A commit by another process, as `sophon broker revoke` makes one. */
function commitElsewhere(file: string): void {
  const r = spawnSync(process.execPath, ['-e', `const D = require(${JSON.stringify(SQLITE)}); const db = new D(process.argv[1]); db.pragma('busy_timeout = 5000'); db.prepare("INSERT INTO audit (at, user_id, action, outcome) VALUES (1, 'u', 'revoke', 'ok')").run(); db.close();`, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

describe('sophon.db change detection for the broker caches', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('WAL: a commit by another process or this one changes the version; reads do not; after close every read is a change', async () => {
    const file = join(home, 'wal.db');
    const db = await openDatabase(file);
    const v = dbVersion(db);
    const first = v.read();
    assert.equal(v.source, 'wal-index');
    assert.equal(v.read(), first, 'nothing committed');
    db.prepare('SELECT COUNT(*) FROM audit').get();
    assert.equal(v.read(), first, 'a read is not a change');
    commitElsewhere(file);
    const second = v.read();
    assert.notEqual(second, first, 'a commit in another process');
    assert.equal(v.read(), second);
    db.prepare("INSERT INTO audit (at, user_id, action, outcome) VALUES (2, 'u', 'test', 'ok')").run();
    const third = v.read();
    assert.notEqual(third, second, 'a commit by this connection');
    db.pragma('wal_checkpoint(TRUNCATE)');
    commitElsewhere(file);
    assert.notEqual(v.read(), third, 'a commit after the WAL was checkpointed and restarted');
    v.close();
    assert.notEqual(v.read(), v.read(), 'closed: nothing is trusted');
    db.close();
  });

  test('without a WAL index (rollback journal) it asks SQLite (data_version, total_changes) instead', async () => {
    const file = join(home, 'journal.db');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = DELETE');
    db.exec('CREATE TABLE audit (at INTEGER, user_id TEXT, action TEXT, outcome TEXT)');
    const v = dbVersion(db);
    const first = v.read();
    assert.equal(v.source, 'sqlite');
    assert.equal(v.read(), first);
    commitElsewhere(file);
    const second = v.read();
    assert.notEqual(second, first, 'a commit in another process');
    db.prepare("INSERT INTO audit VALUES (2, 'u', 'test', 'ok')").run();
    assert.notEqual(v.read(), second, 'a commit by this connection');
    v.close();
    db.close();
  });
});
