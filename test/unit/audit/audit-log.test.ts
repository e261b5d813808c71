import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { openDatabase, type Database } from '../../../electron/core/db/database';
import { tempHome } from '../../helpers/home';

describe('audit log', async () => {
  const { home, cleanup } = await tempHome();
  let db: Database;
  let audit: AuditLog;
  beforeAll(async () => {
    db = await openDatabase(join(home, 'sophon.db'));
    audit = new AuditLog(db);
    audit.record({ userId: 'alice', action: 'add', outcome: 'ok', connectionId: 'gh-1', serviceId: 'github', at: 1_000 });
    audit.record({ userId: 'alice', action: 'use', outcome: 'ok', connectionId: 'gh-1', skill: 'whoami', tool: 'get_user', at: 2_000 });
    audit.recordMany([
      { userId: 'alice', action: 'use', outcome: 'denied', connectionId: 'gm-1', skill: 'mailer', tool: 'send', at: 3_000, detail: 'host not allowed' },
      { userId: 'bob', action: 'test', outcome: 'failed', connectionId: 'gh-2', at: 4_000 },
    ]);
  });
  afterAll(async () => {
    db.close();
    await cleanup();
  });

  test('newest first, with every column', () => {
    const rows = audit.query();
    assert.deepEqual(rows.map((r) => r.at), ['1970-01-01T00:00:04.000Z', '1970-01-01T00:00:03.000Z', '1970-01-01T00:00:02.000Z', '1970-01-01T00:00:01.000Z']);
    const denied = rows[1]!;
    assert.equal(denied.skill, 'mailer');
    assert.equal(denied.tool, 'send');
    assert.equal(denied.outcome, 'denied');
    assert.equal(denied.detail, 'host not allowed');
  });

  test('filters by user, connection, skill, action and time, and pages', () => {
    assert.equal(audit.query({ userId: 'bob' }).length, 1);
    assert.deepEqual(audit.query({ connectionId: 'gh-1' }).map((r) => r.action), ['use', 'add']);
    assert.deepEqual(audit.query({ skill: 'whoami' }).map((r) => r.tool), ['get_user']);
    assert.equal(audit.query({ action: 'use' }).length, 2);
    assert.deepEqual(audit.query({ since: 2_000, until: 3_000 }).map((r) => r.action), ['use', 'use']);
    assert.deepEqual(audit.query({ limit: 1, offset: 1 }).map((r) => r.connectionId), ['gm-1']);
  });
});
