import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { AuditLog, type AuditEntry } from '../../../electron/core/audit/audit-log';
import { joinParts, splitIds } from '../../../electron/core/audit/chain-parts';
import { CHAIN_START, GENESIS_HASH, verifyChain, type PartCheck, type TrustedHead } from '../../../electron/core/audit/chain-store';
import { verifyChainParallel } from '../../../electron/core/audit/parallel-verify';
import { openDatabase } from '../../../electron/core/db/database';
import { configureLog, logFilePath, resetLogForTests } from '../../../electron/core/log/log';
import { tempHome } from '../../helpers/home';

const h = (c: string): string => c.repeat(64);

describe('splitting the ids into parts', () => {
  test('parts of the given size cover 1..maxId once, in order; the last one is shorter', () => {
    assert.deepEqual(splitIds(5_000, 1_000, 4_096), [0, 1_000, 2_000, 3_000, 4_000].map((after) => ({ after, upTo: after + 1_000 })));
    assert.deepEqual(splitIds(5_001, 1_000, 4_096).at(-1), { after: 5_000, upTo: 5_001 });
    assert.deepEqual(splitIds(999, 1_000, 4_096), [{ after: 0, upTo: 999 }]);
    assert.deepEqual(splitIds(0, 1_000, 4_096), []);
  });

  test('an id far ahead (a forged row) makes wider parts, never more than the limit, still covering every id', () => {
    const parts = splitIds(9_000_000_000, 16_384, 4_096);
    assert.ok(parts.length <= 4_096, `${parts.length} parts`);
    assert.equal(parts[0]!.after, 0);
    assert.equal(parts.at(-1)!.upTo, 9_000_000_000);
    for (let i = 1; i < parts.length; i++) assert.equal(parts[i]!.after, parts[i - 1]!.upTo);
  });
});

describe('joining checked parts', () => {
  const linked = (firstPrev: string, lastId: number, lastHash: string, rows: number): PartCheck => ({ state: 'linked', firstPrev, lastId, lastHash, rows });
  const chain = [linked(GENESIS_HASH, 10, h('a'), 10), linked(h('a'), 20, h('b'), 10), linked(h('b'), 30, h('c'), 10)];

  test('parts that link end to end join into one position at the last row; empty parts (holes) are passed over', () => {
    assert.deepEqual(joinParts(chain, CHAIN_START), { position: { id: 30, hash: h('c'), rows: 30 }, stoppedAt: null });
    assert.deepEqual(joinParts([chain[0]!, { state: 'empty' }, chain[1]!, { state: 'empty' }], CHAIN_START), { position: { id: 20, hash: h('b'), rows: 20 }, stoppedAt: null });
    assert.deepEqual(joinParts([], CHAIN_START), { position: CHAIN_START, stoppedAt: null });
  });

  test('a break at a part boundary (the next part links to another row) stops before that part', () => {
    assert.deepEqual(joinParts([chain[0]!, linked(h('x'), 20, h('b'), 10), chain[2]!], CHAIN_START), { position: { id: 10, hash: h('a'), rows: 10 }, stoppedAt: 1 });
  });

  test('a suspect first part stops at the start; a suspect or unreported last part stops after the others', () => {
    assert.deepEqual(joinParts([{ state: 'suspect' }, chain[1]!, chain[2]!], CHAIN_START), { position: CHAIN_START, stoppedAt: 0 });
    assert.deepEqual(joinParts([chain[0]!, chain[1]!, { state: 'suspect' }], CHAIN_START), { position: { id: 20, hash: h('b'), rows: 20 }, stoppedAt: 2 });
    assert.deepEqual(joinParts([chain[0]!, chain[1]!, undefined], CHAIN_START), { position: { id: 20, hash: h('b'), rows: 20 }, stoppedAt: 2 });
    // The first part must link to where the join starts (genesis for a whole trail).
    assert.deepEqual(joinParts([linked(h('z'), 10, h('a'), 10)], CHAIN_START).stoppedAt, 0);
  });
});

const entry = (i: number): AuditEntry => ({ userId: i % 3 ? 'alice' : 'bob', action: 'broker_use', outcome: 'ok', connectionId: `c-${i % 5}`, skill: 's', tool: 't', detail: `call #${i}`, at: 1_000 + i });

// 5,000 rows in parts of 1,000 ids: (0, 1000], (1000, 2000], … (4000, 5000], checked on two real worker threads.
describe('verify on worker threads names the same first break as the serial walk', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(async () => {
    resetLogForTests();
    await cleanup();
  });
  configureLog({ home, override: 'debug' });
  const pristine = join(home, 'pristine.db');
  const db = await openDatabase(pristine);
  new AuditLog(db).recordMany(Array.from({ length: 5_000 }, (_, i) => entry(i)));
  const lastHash = verifyChain(db, null).lastHash;
  db.close();
  let n = 0;

  /** The last `audit.verify_parts` line logged. */
  function partsLogged(): { parts: number; workers: number; joinedRows: number; stoppedAt: number | null } | undefined {
    const lines = readFileSync(logFilePath(home), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string });
    return lines.filter((l) => l.event === 'audit.verify_parts').at(-1) as ReturnType<typeof partsLogged>;
  }

  /** A copy of the trail changed by `statement` (sqlite3), verified serially and on workers: both reports, and the parts logged. */
  async function both(statement: string | null, head: TrustedHead | null = null) {
    const file = join(home, `t${n++}.db`);
    copyFileSync(pristine, file);
    if (statement) execFileSync('/usr/bin/sqlite3', [file, statement]);
    const tdb = await openDatabase(file);
    try {
      const serial = verifyChain(tdb, head);
      const parallel = await verifyChainParallel(tdb, head, { minIds: 0, partIds: 1_000, workers: 2 });
      return { serial, parallel, logged: partsLogged() };
    } finally {
      tdb.close();
    }
  }

  test('an intact trail: every part checked on the workers and joined, nothing left to the serial walk', async () => {
    const { serial, parallel, logged } = await both(null);
    assert.deepEqual(parallel, serial);
    assert.deepEqual([parallel.rows, parallel.lastId, parallel.lastHash, parallel.break], [5_000, 5_000, lastHash, null]);
    assert.deepEqual(logged, { ...logged, parts: 5, workers: 2, joinedRows: 5_000, stoppedAt: null });
  });

  const cases: [what: string, statement: string, kind: string, rowId: number, stoppedAt: number][] = [
    ['an edit in the middle of a part', "UPDATE audit SET detail = 'nothing' WHERE id = 2500", 'edited', 2_500, 2],
    ['an edit of the first row of a part (at the boundary)', "UPDATE audit SET outcome = 'denied' WHERE id = 3001", 'edited', 3_001, 3],
    ['an edit of the last row of a part (at the boundary)', "UPDATE audit SET outcome = 'denied' WHERE id = 3000", 'edited', 3_000, 2],
    ['an edit of the very first row (first part)', "UPDATE audit SET user_id = 'mallory' WHERE id = 1", 'edited', 1, 0],
    ['an edit of the very last row (last part)', "UPDATE audit SET user_id = 'mallory' WHERE id = 5000", 'edited', 5_000, 4],
    ['the first row of a part deleted (its part links to a row that is gone)', 'DELETE FROM audit WHERE id = 2001', 'deleted', 2_001, 2],
    ['a whole part deleted (an empty part, then a part that does not link)', 'DELETE FROM audit WHERE id BETWEEN 1001 AND 2000', 'deleted', 1_001, 2],
    ['two rows swapped across a boundary', 'UPDATE audit SET id = -1 WHERE id = 1000; UPDATE audit SET id = 1000 WHERE id = 1001; UPDATE audit SET id = 1001 WHERE id = -1;', 'reordered', 1_000, 0],
    ['a forged row appended (a part of its own)', "INSERT INTO audit (at, user_id, action, outcome, detail) VALUES (5000, 'alice', 'use', 'ok', 'forged')", 'inserted', 5_001, 5],
  ];
  for (const [what, statement, kind, rowId, stoppedAt] of cases) {
    test(`${what}: ${kind} at row ${rowId}`, async () => {
      const { serial, parallel, logged } = await both(statement);
      assert.deepEqual(parallel, serial);
      assert.deepEqual([parallel.break?.kind, parallel.break?.rowId], [kind, rowId]);
      assert.equal(logged?.stoppedAt, stoppedAt);
    });
  }

  test('a forged row with an id far ahead: wide parts walk past the hole, and the rows before it are named deleted', async () => {
    const { serial, parallel, logged } = await both(`INSERT INTO audit (id, at, user_id, action, outcome, prev_hash, hash) VALUES (9000000000, 1, 'mallory', 'use', 'ok', '${h('1')}', '${h('2')}')`);
    assert.deepEqual(parallel, serial);
    assert.deepEqual([parallel.rows, parallel.break?.kind, parallel.break?.rowId], [5_000, 'deleted', 5_001]);
    assert.ok(logged!.parts <= 4_096 && logged!.joinedRows === 5_000, JSON.stringify(logged));
  });

  test('the head is compared after the joined parts: a truncated tail is named as before', async () => {
    const { serial, parallel } = await both('DELETE FROM audit WHERE id > 4990', { rowId: 5_000, hash: lastHash });
    assert.deepEqual(parallel, serial);
    assert.deepEqual([parallel.rows, parallel.break?.kind, parallel.break?.rowId], [4_990, 'truncated', 4_991]);
  });

  test('workers that cannot start leave their parts to the serial walk: the same report, and the failure logged', async () => {
    const file = join(home, `t${n++}.db`);
    copyFileSync(pristine, file);
    execFileSync('/usr/bin/sqlite3', [file, "UPDATE audit SET detail = 'nothing' WHERE id = 4321"]);
    const tdb = await openDatabase(file);
    try {
      const parallel = await verifyChainParallel(tdb, null, { minIds: 0, partIds: 1_000, workers: 2, workerBundle: join(home, 'no-such-worker.cjs') });
      assert.deepEqual(parallel, verifyChain(tdb, null));
      assert.deepEqual([parallel.break?.kind, parallel.break?.rowId], ['edited', 4_321]);
    } finally {
      tdb.close();
    }
    assert.deepEqual([partsLogged()?.joinedRows, partsLogged()?.stoppedAt], [0, 0]);
    const failures = readFileSync(logFilePath(home), 'utf8').split('\n').filter((l) => l.includes('"audit.verify_worker_failed"'));
    assert.equal(failures.length, 2);
  });

  test('below the threshold (100,000 ids by default) the trail is walked serially, without threads', async () => {
    const before = partsLogged();
    const tdb = await openDatabase(pristine);
    try {
      assert.deepEqual(await verifyChainParallel(tdb, null), verifyChain(tdb, null));
    } finally {
      tdb.close();
    }
    assert.deepEqual(partsLogged(), before);
  });
});
