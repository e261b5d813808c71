import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { AuditLog, type AuditEntry } from '../../../electron/core/audit/audit-log';
import { verifyChain } from '../../../electron/core/audit/chain-store';
import { PART_IDS } from '../../../electron/core/audit/parallel-verify';
import { openDatabase } from '../../../electron/core/db/database';
import { logFilePath } from '../../../electron/core/log/log';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

/** Over the 100,000-id threshold: 8 parts of 16,384 ids (the last one shorter). */
const ROWS = 120_000;

const entry = (i: number): AuditEntry => ({ userId: 'default', action: 'broker_use', outcome: 'ok', connectionId: `github-${i % 7}`, serviceId: 'github', skill: 'bench', tool: 'get_user', detail: 'GET api.github.com/user 200', at: 1_700_000_000_000 + i });

interface Report {
  ok: boolean;
  rows: number;
  lastId: number | null;
  lastHash: string;
  break: { kind: string; rowId: number; message: string } | null;
}

describe('sophon audit verify of a trail big enough for worker threads (the built CLI and its worker bundle)', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const file = join(home, 'sophon.db');
  const db = await openDatabase(file);
  const log = new AuditLog(db);
  for (let i = 0; i < ROWS; i += 5_000) log.recordMany(Array.from({ length: 5_000 }, (_, j) => entry(i + j)));
  db.close();
  const sql = (statement: string): void => void execFileSync('/usr/bin/sqlite3', [file, statement]);

  /** The command's JSON report, the serial walk's report of the same file, and the parts the command logged. */
  async function verify() {
    const r = await sophon(['audit', 'verify', '--json'], { home, env: { SOPHON_LOG_LEVEL: 'debug' } });
    const report = json<Report>(r);
    assert.equal(r.code, report.ok ? 0 : 6, r.stderr);
    const sdb = await openDatabase(file);
    const serial = verifyChain(sdb, null);
    sdb.close();
    const lines = readFileSync(logFilePath(home), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string });
    const parts = lines.filter((l) => l.event === 'audit.verify_parts').at(-1) as { parts: number; workers: number; stoppedAt: number | null } | undefined;
    return { report, serial, parts };
  }

  test('an intact trail verifies on the workers: every part joined', async () => {
    const { report, serial, parts } = await verify();
    assert.deepEqual([report.ok, report.rows, report.lastId, report.break], [true, ROWS, ROWS, null]);
    assert.equal(report.lastHash, serial.lastHash);
    assert.deepEqual([parts?.parts, parts?.stoppedAt], [Math.ceil(ROWS / PART_IDS), null]);
    assert.ok(parts!.workers >= 1);
  });

  const cases: [where: string, id: number, stoppedAt: number][] = [
    ['in the middle of a part', 40_000, 2],
    ['in the first row of a part (at a boundary)', 3 * PART_IDS + 1, 3],
    ['in the last row of a part (at a boundary)', 3 * PART_IDS, 2],
  ];
  for (const [where, id, stoppedAt] of cases) {
    test(`a row edited with sqlite3 ${where} (row ${id}) is named as the serial walk names it`, async () => {
      sql(`UPDATE audit SET outcome = 'denied' WHERE id = ${id}`);
      const { report, serial, parts } = await verify();
      assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId, report.rows], [false, 'edited', id, id - 1]);
      assert.deepEqual([report.rows, report.lastId, report.lastHash, report.break], [serial.rows, serial.lastId, serial.lastHash, serial.break]);
      assert.equal(parts?.stoppedAt, stoppedAt);
      const text = await sophon(['audit', 'verify'], { home });
      assert.equal(text.code, 6);
      assert.match(text.stdout, new RegExp(`^BROKEN row ${id} \\(edited\\): Row ${id} was changed after it was written`));
      // Put it back: the trail verifies again.
      sql(`UPDATE audit SET outcome = 'ok' WHERE id = ${id}`);
      assert.equal((await verify()).report.ok, true);
    });
  }

  test('the first row of a part deleted with sqlite3 is named: deleted, as the serial walk names it', async () => {
    const id = 6 * PART_IDS + 1;
    sql(`DELETE FROM audit WHERE id = ${id}`);
    const { report, serial, parts } = await verify();
    assert.deepEqual([report.ok, report.break?.kind, report.break?.rowId], [false, 'deleted', id]);
    assert.deepEqual(report.break, serial.break);
    assert.equal(parts?.stoppedAt, 6);
  });
});
