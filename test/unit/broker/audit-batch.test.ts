import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { AuditBatcher } from '../../../electron/core/broker/audit-batch';
import { openDatabase } from '../../../electron/core/db/database';
import { tempHome } from '../../helpers/home';

describe('broker audit batches', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('a batch of many rows (several 64-row statements and the rest) keeps every row and its values', async () => {
    const db = await openDatabase(join(home, 'many.db'));
    const audit = new AuditLog(db);
    audit.recordMany(Array.from({ length: 200 }, (_, i) => ({ userId: 'many', action: 'broker_use' as const, outcome: 'ok' as const, connectionId: i % 2 ? `c-${i}` : null, skill: 's', tool: 't', detail: `#${i}`, at: 1_000 + i })));
    const rows = audit.query({ userId: 'many', limit: 1_000 });
    assert.equal(rows.length, 200);
    assert.deepEqual(
      rows.reverse().map((r) => [r.detail, r.connectionId, r.skill, r.tool, Date.parse(r.at)]),
      Array.from({ length: 200 }, (_, i) => [`#${i}`, i % 2 ? `c-${i}` : null, 's', 't', 1_000 + i]),
    );
    db.close();
  });

  test('while another connection holds the write lock, the timed write waits without blocking, then writes; close writes what is queued', async () => {
    const file = join(home, 'busy.db');
    const db = await openDatabase(file);
    const audit = new AuditLog(db);
    const other = new BetterSqlite3(file);
    other.exec('BEGIN IMMEDIATE');
    const batcher = new AuditBatcher(audit, { delayMs: 5 });
    for (let i = 0; i < 10; i++) batcher.record({ userId: 'busy', action: 'broker_use', outcome: 'ok', detail: `#${i}` });
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 60));
    // busy_timeout is 5 s: a write that waited for the lock would have held the event loop that long.
    assert.ok(Date.now() - started < 1_000, 'the event loop was not held');
    assert.equal(batcher.pending, 10, 'the rows wait, queued');
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5_000, 'the connection keeps its busy timeout');
    other.exec('COMMIT');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(batcher.pending, 0, 'written once the lock is free');
    batcher.record({ userId: 'busy', action: 'broker_use', outcome: 'ok', detail: 'last' });
    batcher.close();
    assert.equal(audit.query({ userId: 'busy' }).length, 11);
    other.close();
    db.close();
  });
});
