// A broker audit batch is appended once, whoever writes it: its id is committed in the same transaction as
// its rows (audit_batches), so the serving side writing a batch again after its writer committed it and died
// before acknowledging adds nothing. Real sqlite, two connections to one file as the two processes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { AuditLog, type AuditEntry } from '../../../electron/core/audit/audit-log';
import { AuditStore } from '../../../electron/core/audit/audit-store';
import { verifyChain } from '../../../electron/core/audit/chain-store';
import { AuditBatcher } from '../../../electron/core/broker/audit-batch';
import { AuditPipe, type AuditBatchMessage } from '../../../electron/core/broker/audit-pipe';
import { openDatabase } from '../../../electron/core/db/database';
import { tempHome } from '../../helpers/home';

const row = (i: number): AuditEntry => ({ userId: 'default', action: 'broker_use', outcome: 'ok', connectionId: 'c1', skill: 's', tool: 't', detail: `GET /#${i} → 200` });
const details = (audit: AuditLog) => audit.query({ action: 'broker_use', limit: 10_000 }).map((r) => r.detail).sort();
const expected = (n: number) => Array.from({ length: n }, (_, i) => `GET /#${i} → 200`).sort();

describe('audit batches with ids', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('a batch committed twice under one id is in the trail once; the second commit answers the chain\'s end', async () => {
    const db = await openDatabase(join(home, 'twice.db'));
    const audit = new AuditLog(db);
    const rows = Array.from({ length: 70 }, (_, i) => row(i));
    const first = audit.commit(rows, '00112233aabbccdd-0');
    const again = audit.commit(rows, '00112233aabbccdd-0');
    assert.deepEqual(again, first);
    audit.recordMany([row(70)], '00112233aabbccdd-1');
    assert.equal(audit.tryRecordMany([row(70)], '00112233aabbccdd-1'), true, 'a skipped batch is not a failure');
    assert.deepEqual(details(audit), expected(71));
    assert.equal(db.prepare('SELECT count(*) FROM audit_batches').pluck().get(), 2);
    assert.equal(verifyChain(db, null).break, null);
    db.close();
  });

  test('ids are kept ten minutes: older ones go when a newer batch is committed', async () => {
    const db = await openDatabase(join(home, 'prune.db'));
    const store = new AuditStore(db);
    const claim = (id: string, at: number) => db.transaction(() => store.claimBatch(id, at))();
    assert.equal(claim('old', 1_000), true);
    assert.equal(claim('old', 2_000), false);
    assert.equal(claim('new', 1_000 + 10 * 60_000 + 1), true);
    assert.deepEqual(db.prepare('SELECT id FROM audit_batches').pluck().all(), ['new']);
    db.close();
  });

  test('the writer commits a batch and dies before its answer: the serving side writes it again under its id, and it is skipped; later rows are written once', async () => {
    const file = join(home, 'died.db');
    const db = await openDatabase(file);
    const serving = new AuditLog(db);
    const writer = new AuditLog(await openDatabase(file));
    const sent: AuditBatchMessage[] = [];
    const pipe = new AuditPipe((m) => (sent.push(m), true), new AuditBatcher(serving, { delayMs: 5 }), () => undefined);
    for (let i = 0; i < 40; i++) pipe.record(row(i));
    pipe.flush();
    for (let i = 40; i < 90; i++) pipe.record(row(i));
    pipe.flush();
    // The first batch answered; the second committed by the writer, whose answer never comes (killed).
    pipe.acknowledged({ sophon: 'audit-ack', seq: sent[0]!.seq, head: writer.commit(sent[0]!.rows, sent[0]!.id) ?? null });
    writer.commit(sent[1]!.rows, sent[1]!.id);
    for (let i = 90; i < 100; i++) pipe.record(row(i));
    pipe.writerLost();
    for (let i = 100; i < 110; i++) pipe.record(row(i));
    await pipe.drained();
    assert.deepEqual(details(serving), expected(110));
    assert.equal(verifyChain(db, null).break, null);
  });

  test('a batch the writer failed (rolled back) is written by the serving side under its id: once', async () => {
    const db = await openDatabase(join(home, 'failed.db'));
    const serving = new AuditLog(db);
    const sent: AuditBatchMessage[] = [];
    const pipe = new AuditPipe((m) => (sent.push(m), true), new AuditBatcher(serving, { delayMs: 5 }), () => undefined);
    for (let i = 0; i < 25; i++) pipe.record(row(i));
    pipe.flush();
    pipe.acknowledged({ sophon: 'audit-ack', seq: sent[0]!.seq, head: null, failed: 'SQLITE_BUSY' });
    // The same answer again (a writer that repeats itself) changes nothing.
    pipe.acknowledged({ sophon: 'audit-ack', seq: sent[0]!.seq, head: null, failed: 'SQLITE_BUSY' });
    await pipe.drained();
    assert.deepEqual(details(serving), expected(25));
    assert.deepEqual(db.prepare('SELECT id FROM audit_batches').pluck().all(), [sent[0]!.id]);
  });
});
