import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../electron/core/db/database';
import { MIGRATIONS } from '../../../electron/core/db/migrations';
import { tempHome } from '../../helpers/home';

describe('sophon.db migrations', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('migration 1 creates the connections and audit tables on an empty database', async () => {
    const db = await openDatabase(join(home, 'm1.db'), MIGRATIONS.slice(0, 1));
    assert.equal(schemaVersion(db), 1);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    assert.deepEqual(tables, ['audit', 'connections']);
    assert.throws(
      () => db.prepare("INSERT INTO connections (id, user_id, service_id, label, auth_method, state, created_at, updated_at) VALUES ('a','u','s','l','m','bogus',0,0)").run(),
      /CHECK constraint failed/,
    );
    db.close();
  });

  test('every migration applies in order, and reopening runs none again', async () => {
    const file = join(home, 'all.db');
    const db = await openDatabase(file);
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    db.close();
    const again = await openDatabase(file);
    assert.equal(schemaVersion(again), MIGRATIONS.length);
    again.close();
  });

  test('a database from a newer Sophon is refused with a message, not altered', async () => {
    const file = join(home, 'newer.db');
    const db = await openDatabase(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    assert.throws(() => migrate(db, MIGRATIONS, file), /newer than this Sophon knows/);
    assert.equal(schemaVersion(db), MIGRATIONS.length + 1);
    db.close();
  });

  test('the database file is private to the user (0600), like its WAL', async () => {
    const file = join(home, 'mode.db');
    const db = await openDatabase(file);
    db.prepare("INSERT INTO audit (at, user_id, action, outcome) VALUES (1, 'u', 'test', 'ok')").run();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(`${file}-wal`).mode & 0o777, 0o600);
    db.close();
  });
});
