import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { AuditBatcher } from '../../../electron/core/broker/audit-batch';
import { BrokerTokens, hashBrokerToken } from '../../../electron/core/broker/token-store';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { openDatabase } from '../../../electron/core/db/database';
import { tempHome } from '../../helpers/home';

describe('broker tokens', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  let clock = 1_000_000;
  const db = await openDatabase(join(home, 'sophon.db'));
  afterAll(() => db.close());
  const tokens = new BrokerTokens(db, () => clock);
  const mint = (ttlSeconds = 60) => tokens.mint({ userId: 'u', skill: 's', tool: 't', connectionIds: ['c1'], scopes: { c1: ['read'] }, allowedHosts: { c1: ['api.example.test'] }, ttlSeconds });

  test('random, opaque, 256 bits; only its SHA-256 is stored, with the binding', () => {
    const a = mint();
    const b = mint();
    assert.match(a.token, /^sbt_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.token, b.token);
    const rows = db.prepare('SELECT * FROM broker_tokens').all() as Record<string, unknown>[];
    assert.ok(!JSON.stringify(rows).includes(a.token.slice(4)), 'the token is not in the database');
    assert.ok(rows.some((r) => r.token_hash === hashBrokerToken(a.token)));
    const c = tokens.check(a.token);
    assert.ok(c.ok);
    if (c.ok) assert.deepEqual([c.binding.userId, c.binding.skill, c.binding.tool, c.binding.connectionIds, c.binding.scopes, c.binding.allowedHosts], ['u', 's', 't', ['c1'], { c1: ['read'] }, { c1: ['api.example.test'] }]);
  });

  test('expires after its TTL; revocable by id (per user) or by token; unknown and malformed tokens are refused', () => {
    const { token, binding } = mint(10);
    clock += 9_999;
    assert.equal(tokens.check(token).ok, true);
    clock += 1;
    assert.deepEqual(tokens.check(token).ok ? 'ok' : (tokens.check(token) as { reason: string }).reason, 'expired');
    const second = mint();
    assert.equal(tokens.revoke('someone-else', second.binding.id), null);
    assert.equal(tokens.revoke('u', second.binding.id)?.skill, 's');
    assert.equal(tokens.revoke('u', second.binding.id), null, 'once');
    assert.equal((tokens.check(second.token) as { reason: string }).reason, 'revoked');
    const third = mint();
    tokens.revokeToken(third.token);
    assert.equal((tokens.check(third.token) as { reason: string }).reason, 'revoked');
    assert.equal((tokens.check('sbt_' + 'x'.repeat(43)) as { reason: string }).reason, 'unknown');
    assert.equal((tokens.check('not a token') as { reason: string }).reason, 'unknown');
    assert.ok(binding.id.length === 12);
  });

  test('rows expired for more than a day are pruned at the next mint', () => {
    const old = mint(1);
    clock += 2 * 86_400_000;
    mint();
    assert.equal(db.prepare('SELECT COUNT(*) AS n FROM broker_tokens WHERE token_hash = ?').get(hashBrokerToken(old.token)) !== undefined, true);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM broker_tokens WHERE token_hash = ?').get(hashBrokerToken(old.token)) as { n: number }).n, 0);
  });

  test('the audit batcher writes every row, in batches, and flushes on close', async () => {
    const audit = new AuditLog(db);
    let writes = 0;
    const batcher = new AuditBatcher({ recordMany: (rows) => (writes++, audit.recordMany(rows)) }, { delayMs: 10, maxBatch: 500 });
    for (let i = 0; i < 1_234; i++) batcher.record({ userId: 'batch', action: 'broker_use', outcome: 'ok', detail: `#${i}` });
    assert.equal(writes, 2, 'two full batches written at once');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(writes, 3, 'the rest after the delay');
    batcher.record({ userId: 'batch', action: 'broker_use', outcome: 'ok', detail: 'last' });
    batcher.close();
    assert.equal(audit.query({ userId: 'batch', limit: 10_000 }).length, 1_235);
  });
});
