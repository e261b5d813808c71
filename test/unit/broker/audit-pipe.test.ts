// The broker's audit rows written by another process (AuditPipe): the writer here is a real second
// connection to the same sophon.db, answering as `broker serve`'s checkpointing worker does. Nothing may be
// lost: rows the writer did not acknowledge are written by the serving side when the writer fails or is gone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { AuditLog, type AuditEntry } from '../../../electron/core/audit/audit-log';
import { verifyChain, type TrustedHead } from '../../../electron/core/audit/chain-store';
import { AuditBatcher } from '../../../electron/core/broker/audit-batch';
import { AuditAckMessageSchema, AuditBatchMessageSchema, AuditPipe, type AuditBatchMessage } from '../../../electron/core/broker/audit-pipe';
import { openDatabase } from '../../../electron/core/db/database';
import { tempHome } from '../../helpers/home';

const row = (i: number): AuditEntry => ({ userId: 'default', action: 'broker_use', outcome: 'ok', connectionId: 'c1', skill: 's', tool: 't', detail: `GET /#${i} → 200` });

describe('audit rows written by another process', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  async function setup(file: string) {
    const db = await openDatabase(join(home, file));
    const serving = new AuditLog(db);
    const writer = new AuditLog(await openDatabase(join(home, file)));
    const sent: AuditBatchMessage[] = [];
    const heads: TrustedHead[] = [];
    const pipe = new AuditPipe((m) => (sent.push(m), true), new AuditBatcher(serving, { delayMs: 5 }), (h) => heads.push(h));
    // What the worker does with a batch (workers.ts): checks it, commits it, answers with the chain's end.
    const answer = (m: AuditBatchMessage) => {
      const batch = AuditBatchMessageSchema.parse(JSON.parse(JSON.stringify(m)));
      pipe.acknowledged(AuditAckMessageSchema.parse({ sophon: 'audit-ack', seq: batch.seq, head: writer.commit(batch.rows) ?? null }));
    };
    return { db, serving, writer, sent, heads, pipe, answer };
  }

  test('the writer commits each batch; drained() waits for its answers; the head the serving side signs is the chain\'s end', async () => {
    const { db, serving, sent, heads, pipe, answer } = await setup('acked.db');
    for (let i = 0; i < 250; i++) pipe.record(row(i));
    pipe.flush();
    for (let i = 250; i < 300; i++) pipe.record(row(i));
    let drained = false;
    const done = pipe.drained().then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false, 'rows sent but not acknowledged: not drained');
    assert.equal(sent.length, 2);
    assert.equal(serving.count({ action: 'broker_use' }), 0, 'the serving side wrote nothing itself');
    for (const m of sent) answer(m);
    await done;
    assert.equal(pipe.pending, 0);
    assert.equal(serving.count({ action: 'broker_use' }), 300);
    const rows = serving.query({ action: 'broker_use', limit: 300 }).reverse();
    assert.deepEqual(rows.map((r) => r.detail), Array.from({ length: 300 }, (_, i) => `GET /#${i} → 200`), 'in the order recorded');
    const report = verifyChain(db, heads.at(-1)!);
    assert.equal(report.break, null);
    assert.equal(report.rows, 300);
  });

  test('a batch the writer fails, and every batch it never answered once it is gone, is written by the serving side: no row lost, the chain whole', async () => {
    const { db, serving, sent, pipe, answer } = await setup('lost.db');
    for (let i = 0; i < 10; i++) pipe.record(row(i));
    pipe.flush();
    pipe.acknowledged({ sophon: 'audit-ack', seq: sent[0]!.seq, head: null, failed: 'SQLITE_BUSY' });
    assert.equal(serving.count({ action: 'broker_use' }), 10, 'a failed batch is written here at once');
    for (let i = 10; i < 20; i++) pipe.record(row(i));
    pipe.flush();
    answer(sent[1]!);
    for (let i = 20; i < 35; i++) pipe.record(row(i));
    pipe.flush();
    for (let i = 35; i < 40; i++) pipe.record(row(i));
    // The writer dies with one batch unanswered and five rows not yet sent.
    pipe.writerLost();
    assert.equal(pipe.pending, 0);
    pipe.record(row(40));
    await pipe.drained();
    assert.equal(sent.length, 3, 'nothing is sent to a writer that is gone');
    assert.equal(serving.count({ action: 'broker_use' }), 41);
    const report = verifyChain(db, null);
    assert.equal(report.break, null);
  });

  test('a batch message that is not rows is refused by the writer\'s check', () => {
    assert.equal(AuditBatchMessageSchema.safeParse({ sophon: 'audit-batch', seq: 1, rows: [{ ...row(1), at: 1, secret: 'x' }] }).success, false);
    assert.equal(AuditBatchMessageSchema.safeParse({ sophon: 'audit-batch', seq: 1, rows: [{ ...row(1), action: 'drop table', at: 1 }] }).success, false);
  });
});
