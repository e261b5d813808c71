import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, test } from 'vitest';
import { GENESIS_HASH, rowHash, verifyChain } from '../../../electron/core/audit/chain-store';
import { AuditHeadStore } from '../../../electron/core/audit/audit-head';
import { AuditLog, type AuditEntry } from '../../../electron/core/audit/audit-log';
import { verifyAuditTrail, type AuditVerifyReport } from '../../../electron/core/audit/audit-verify';
import { AuditBatcher } from '../../../electron/core/broker/audit-batch';
import { openDatabase } from '../../../electron/core/db/database';
import { MIGRATIONS } from '../../../electron/core/db/migrations';
import { SophonError } from '../../../electron/core/errors';
import type { MasterKey } from '../../../electron/core/keys/key-protector';
import { tempHome } from '../../helpers/home';

const SQLITE3 = '/usr/bin/sqlite3';
const CHILD = fileURLToPath(new URL('../../helpers/audit-child.ts', import.meta.url));

function sql(file: string, statement: string): void {
  execFileSync(SQLITE3, [file, statement]);
}

const entry = (i: number): AuditEntry => ({ userId: i % 3 ? 'alice' : 'bob', action: 'broker_use', outcome: 'ok', connectionId: `c-${i % 5}`, skill: 's', tool: 't', detail: `call #${i}`, at: 1_000 + i });

describe('audit hash chain', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const master: MasterKey = { id: '00112233aabbccdd', key: randomBytes(32) };
  let n = 0;

  /** 150 rows through record, recordMany (two 64-row statements and the rest) and the broker's batcher; closed. */
  async function build(): Promise<{ file: string; head: AuditHeadStore; verify: (key?: MasterKey | null) => Promise<AuditVerifyReport> }> {
    const dir = join(home, `h${n++}`);
    const file = join(dir, 'sophon.db');
    const head = new AuditHeadStore(join(dir, 'security'));
    const db = await openDatabase(file);
    const audit = new AuditLog(db, { store: head, key: () => master });
    audit.record(entry(0));
    audit.recordMany(Array.from({ length: 139 }, (_, i) => entry(i + 1)));
    const batcher = new AuditBatcher(audit, { delayMs: 1_000 });
    for (let i = 140; i < 150; i++) batcher.record(entry(i));
    batcher.close();
    db.close();
    const verify = async (key: MasterKey | null = master): Promise<AuditVerifyReport> => {
      const vdb = await openDatabase(file);
      try {
        return await verifyAuditTrail({
          db: vdb,
          head,
          keys: {
            state: async () => ({ keyId: key ? key.id : null, location: null, reachable: key !== null, problem: key ? null : 'the keychain is locked' }),
            get: async () => {
              if (!key) throw new SophonError('keychain_unavailable', 'the keychain is locked');
              return key;
            },
          },
        });
      } finally {
        vdb.close();
      }
    };
    return { file, head, verify };
  }

  test('an untouched trail verifies, and its head (0600, HMAC) names the last row', async () => {
    const { file, head, verify } = await build();
    const report = await verify();
    assert.equal(report.ok, true);
    assert.equal(report.rows, 150);
    assert.equal(report.lastId, 150);
    assert.equal(report.break, null);
    assert.deepEqual(report.head, { state: 'verified', rowId: 150, detail: null });
    assert.equal(statSync(head.file).mode & 0o777, 0o600);
    // The stored hashes are the documented encoding: row 1 links to genesis.
    const first = execFileSync(SQLITE3, ['-json', file, 'SELECT * FROM audit WHERE id = 1']).toString();
    const r = (JSON.parse(first) as Record<string, string | number | null>[])[0]!;
    assert.equal(r.prev_hash, GENESIS_HASH);
    assert.equal(r.hash, rowHash(GENESIS_HASH, [1, 1_000, 'bob', 'c-0', null, 's', 't', 'broker_use', 'ok', 'call #0']));
  });

  test('awkward text (quotes, NUL, control characters, a lone surrogate, emoji) verifies as it was written', async () => {
    const dir = join(home, 'awkward');
    const db = await openDatabase(join(dir, 'sophon.db'));
    const audit = new AuditLog(db);
    for (const detail of [`it's "quoted" \\ here`, 'nul\u0000inside', 'ctl\u0001\n\t\u007f\u2028', 'lone \ud800 surrogate', 'emoji 😀 é', '', 'null']) audit.record({ ...entry(1), detail });
    audit.record({ ...entry(2), skill: null, tool: 'null' });
    assert.deepEqual(verifyChain(db, null).break, null);
    db.close();
  });

  test('over several read chunks (1,024 rows each), an edit far in is still found at its row', async () => {
    const file = join(home, 'chunks.db');
    const db = await openDatabase(file);
    new AuditLog(db).recordMany(Array.from({ length: 3_000 }, (_, i) => entry(i)));
    assert.deepEqual([verifyChain(db, null).rows, verifyChain(db, null).break], [3_000, null]);
    db.close();
    sql(file, "UPDATE audit SET user_id = 'mallory' WHERE id = 2500");
    const again = await openDatabase(file);
    const report = verifyChain(again, null);
    assert.deepEqual([report.rows, report.break?.kind, report.break?.rowId], [2_499, 'edited', 2_500]);
    again.close();
  });

  test('a hole wider than a read chunk (2,000 rows deleted) and a forged row far ahead are named, not skipped', async () => {
    const file = join(home, 'holes.db');
    const db = await openDatabase(file);
    new AuditLog(db).recordMany(Array.from({ length: 4_000 }, (_, i) => entry(i)));
    db.close();
    sql(file, 'DELETE FROM audit WHERE id BETWEEN 1001 AND 3000');
    let again = await openDatabase(file);
    let report = verifyChain(again, null);
    assert.deepEqual([report.rows, report.break?.kind, report.break?.rowId], [1_000, 'deleted', 1_001]);
    again.close();
    const whole = join(home, 'ahead.db');
    const db2 = await openDatabase(whole);
    new AuditLog(db2).recordMany(Array.from({ length: 1_500 }, (_, i) => entry(i)));
    db2.close();
    sql(whole, `INSERT INTO audit (id, at, user_id, action, outcome, prev_hash, hash) VALUES (9000000, 1, 'mallory', 'use', 'ok', '${'1'.repeat(64)}', '${'2'.repeat(64)}')`);
    again = await openDatabase(whole);
    report = verifyChain(again, null);
    assert.deepEqual([report.rows, report.break?.kind, report.break?.rowId], [1_500, 'deleted', 1_501]);
    again.close();
  });

  test('a row edited with sqlite3 is named: edited, at its id', async () => {
    const { file, verify } = await build();
    sql(file, "UPDATE audit SET detail = 'nothing happened' WHERE id = 70");
    const report = await verify();
    assert.equal(report.ok, false);
    assert.deepEqual([report.break?.kind, report.break?.rowId], ['edited', 70]);
    assert.equal(report.rows, 69);
  });

  test('a middle row deleted with sqlite3 is named: deleted, at the missing id', async () => {
    const { file, verify } = await build();
    sql(file, 'DELETE FROM audit WHERE id = 42');
    const report = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'deleted', 42]);
    assert.match(report.break!.message, /Row\(s\) 42 were deleted/);
  });

  test('a forged row inserted with sqlite3 is named: inserted', async () => {
    const { file, verify } = await build();
    sql(file, "INSERT INTO audit (at, user_id, action, outcome, detail) VALUES (5000, 'alice', 'use', 'ok', 'forged alibi')");
    const report = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'inserted', 151]);
  });

  test('a forged row slipped into the middle (later ids moved up) is named: inserted, at its id', async () => {
    const { file, verify } = await build();
    // Move rows 100.. up by one (through negative ids, to keep the primary key unique), then fill the hole.
    sql(file, 'UPDATE audit SET id = -id WHERE id >= 100; UPDATE audit SET id = 1 - id WHERE id < 0;');
    sql(file, "INSERT INTO audit (id, at, user_id, action, outcome, detail, prev_hash, hash) VALUES (100, 1099, 'alice', 'use', 'ok', 'forged', 'ab', 'cd')");
    const report = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'inserted', 100]);
  });

  test('two rows whose ids were swapped with sqlite3 are named: reordered', async () => {
    const { file, verify } = await build();
    sql(file, 'UPDATE audit SET id = -1 WHERE id = 20; UPDATE audit SET id = 20 WHERE id = 21; UPDATE audit SET id = 21 WHERE id = -1;');
    const report = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'reordered', 20]);
    assert.match(report.break!.message, /written after row 21/);
  });

  test('the last rows deleted with sqlite3 (the chain itself still links) are caught by the head: truncated', async () => {
    const { file, verify } = await build();
    sql(file, 'DELETE FROM audit WHERE id > 145');
    const report = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'truncated', 146]);
    assert.match(report.break!.message, /146-150/);
    assert.equal(report.rows, 145);
  });

  test('a truncated tail replaced by new chained rows is caught: the head row no longer matches', async () => {
    const { file, verify } = await build();
    sql(file, 'DELETE FROM audit WHERE id > 140');
    const db = await openDatabase(file);
    new AuditLog(db).recordMany(Array.from({ length: 10 }, (_, i) => ({ ...entry(i), detail: 'rewritten' })));
    db.close();
    const report = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'head_mismatch', 150]);
  });

  test('a head moved back by hand fails its HMAC: forged, not ok', async () => {
    const { file, head, verify } = await build();
    sql(file, 'DELETE FROM audit WHERE id > 145');
    const stored = JSON.parse(readFileSync(head.file, 'utf8')) as { rowId: number; hash: string };
    stored.rowId = 145;
    writeFileSync(head.file, JSON.stringify(stored));
    const report = await verify();
    assert.equal(report.ok, false);
    assert.equal(report.head.state, 'forged');
    assert.match(report.head.detail!, /HMAC/);
  });

  test('without the vault key the chain is still checked and the head is "unavailable", not a failure', async () => {
    const { file, verify } = await build();
    const clean = await verify(null);
    assert.equal(clean.ok, true);
    assert.deepEqual([clean.head.state, clean.head.detail], ['unavailable', 'the keychain is locked']);
    sql(file, "UPDATE audit SET outcome = 'denied' WHERE id = 3");
    const broken = await verify(null);
    assert.deepEqual([broken.ok, broken.break?.kind, broken.break?.rowId], [false, 'edited', 3]);
  });

  test('a writer without the key chains its rows; the verifier accepts a tail past the head', async () => {
    const { file, verify } = await build();
    const db = await openDatabase(file);
    new AuditLog(db).recordMany([entry(1), entry(2)]);
    db.close();
    const report = await verify();
    assert.deepEqual([report.ok, report.rows, report.head.rowId], [true, 152, 150]);
  });

  test('the migration chains rows written before the chain, in id order', async () => {
    const file = join(home, 'old.db');
    const old = await openDatabase(file, MIGRATIONS.slice(0, 3));
    const insert = old.prepare('INSERT INTO audit (at, user_id, action, outcome, detail) VALUES (?, ?, ?, ?, ?)');
    for (let i = 0; i < 10; i++) insert.run(1_000 + i, 'alice', 'use', 'ok', `old #${i}`);
    old.close();
    const db = await openDatabase(file);
    new AuditLog(db).record(entry(99));
    assert.deepEqual(verifyChain(db, null), { rows: 11, lastId: 11, lastHash: db.prepare('SELECT hash FROM audit WHERE id = 11').pluck().get(), break: null });
    db.close();
    sql(file, "UPDATE audit SET detail = 'rewritten history' WHERE id = 4");
    const again = await openDatabase(file);
    assert.deepEqual([verifyChain(again, null).break?.kind, verifyChain(again, null).break?.rowId], ['edited', 4]);
    again.close();
  });

  test('two processes writing at once (batches that give way to each other) leave one linear chain', async () => {
    const dir = join(home, 'two');
    const file = join(dir, 'sophon.db');
    const securityDir = join(dir, 'security');
    const db = await openDatabase(file);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, securityDir, master.key.toString('hex'), 'child', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        childOut += d.toString();
        if (childOut.includes('READY')) resolve();
      }),
    );
    child.stderr.on('data', (d: Buffer) => (childOut += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await Promise.race([ready, exited]);
    const head = new AuditHeadStore(securityDir);
    const audit = new AuditLog(db, { store: head, key: () => master });
    const batcher = new AuditBatcher(audit, { delayMs: 1, maxBatch: 10 });
    for (let i = 0; i < 600; i++) {
      batcher.record({ userId: 'parent', action: 'broker_use', outcome: 'ok', detail: `parent-${i}` });
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    batcher.close();
    assert.equal(await exited, 0, childOut);
    const counts = db.prepare('SELECT user_id, count(*) FROM audit GROUP BY user_id ORDER BY user_id').raw().all();
    assert.deepEqual(counts, [['child', 600], ['parent', 600]]);
    // Both wrote in turns, not one after the other: otherwise this test would not test concurrency.
    const switches = db.prepare('SELECT count(*) FROM audit a JOIN audit b ON b.id = a.id + 1 WHERE a.user_id <> b.user_id').pluck().get() as number;
    assert.ok(switches >= 2, `the writers alternated ${switches} time(s)`);
    const headState = head.read(master);
    assert.equal(headState.state, 'verified');
    const report = verifyChain(db, headState.state === 'verified' ? headState.head : null);
    assert.deepEqual([report.rows, report.break], [1_200, null]);
    db.close();
  });
});
