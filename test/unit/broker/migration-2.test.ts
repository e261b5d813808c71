import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { openDatabase, schemaVersion } from '../../../electron/core/db/database';
import { MIGRATIONS } from '../../../electron/core/db/migrations';
import { tempHome } from '../../helpers/home';

describe('sophon.db migration 2: broker tokens', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('a version-1 database with data is brought to version 2 with an empty broker_tokens table; its rows survive', async () => {
    const file = join(home, 'm2.db');
    const v1 = await openDatabase(file, MIGRATIONS.slice(0, 1));
    v1.prepare("INSERT INTO audit (at, user_id, action, outcome) VALUES (1, 'u', 'test', 'ok')").run();
    v1.close();
    const db = await openDatabase(file, MIGRATIONS.slice(0, 2));
    assert.equal(schemaVersion(db), 2);
    const cols = (db.prepare('PRAGMA table_info(broker_tokens)').all() as { name: string }[]).map((c) => c.name);
    assert.deepEqual(cols, ['token_hash', 'id', 'user_id', 'skill', 'tool', 'connection_ids', 'scopes', 'allowed_hosts', 'created_at', 'expires_at', 'revoked_at']);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM broker_tokens').get() as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n, 1, 'the audit trail survived');
    const insert = db.prepare("INSERT INTO broker_tokens (token_hash, id, user_id, skill, tool, connection_ids, created_at, expires_at) VALUES (?, ?, 'u', 's', 't', '[]', 0, 1)");
    insert.run('h1', 'id1');
    assert.throws(() => insert.run('h1', 'id2'), /UNIQUE constraint failed/, 'one row per token hash');
    db.close();
  });
});
