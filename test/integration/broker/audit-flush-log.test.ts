import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { AuditBatcher } from '../../../electron/core/broker/audit-batch';
import { openDatabase } from '../../../electron/core/db/database';
import { configureLog, logFilePath, resetLogForTests } from '../../../electron/core/log/log';
import { tempHome } from '../../helpers/home';

describe('a background failure is logged: the broker\'s audit flush', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(async () => {
    resetLogForTests();
    await cleanup();
  });

  test('a batch the database refuses (here: closed under it) leaves an error line with its code and message, and stays queued', async () => {
    configureLog({ home });
    const db = await openDatabase(join(home, 'sophon.db'));
    const batcher = new AuditBatcher(new AuditLog(db), { delayMs: 5 });
    db.close();
    batcher.record({ userId: 'default', action: 'broker_use', outcome: 'ok', connectionId: 'c1', detail: 'GET /' });
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(batcher.pending >= 1, 'the row is kept to be tried again');
    const lines = (await readFile(logFilePath(home), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.event === 'audit.flush_failed');
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.level, 50);
    assert.equal(typeof line.code, 'string');
    assert.match(String(line.message), /database connection is not open/i);
    assert.equal(line.rows, 1);
  });
});
