import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { GENESIS_HASH, rowHash } from '../../../electron/core/audit/chain-store';
import { forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

type Exported = { id: number; at: number; time: string; user_id: string; connection_id: string | null; service_id: string | null; skill: string | null; tool: string | null; action: string; outcome: string; detail: string | null; prev_hash: string; hash: string };

/** RFC 4180, with the export's rule: an empty unquoted field is NULL, "" is an empty string. */
function parseCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let value: string | null;
    if (text[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (text[i] === '"') break;
        else v += text[i++];
      }
      i++;
      value = v;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      value = end === i ? null : text.slice(i, end);
      i = end;
    }
    row.push(value);
    if (text[i] === ',') i++;
    else {
      rows.push(row);
      row = [];
      i++;
    }
  }
  return rows;
}

describe('sophon audit verify and export', async () => {
  const canary = `canary-${randomBytes(12).toString('hex')}`;
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(canary);
  afterAll(async () => {
    await api.close();
    await cleanup();
  });
  const db = join(home, 'sophon.db');

  test('a trail written by real commands verifies, exports with its hashes (jsonl and csv, the same rows), and holds no secret', async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'canary.json'), userApiConnector('canary', api.port));
    for (const label of ['A', 'B']) assert.equal((await sophon(['connect', 'add', 'canary', '--secret-stdin', '--label', label], { home, stdin: canary })).code, 0);
    assert.notEqual((await sophon(['connect', 'add', 'canary', '--secret-stdin', '--label', 'W'], { home, stdin: `${canary}-wrong` })).code, 0);
    assert.equal((await sophon(['connect', 'test', 'A'], { home })).code, 0);

    const verified = await sophon(['audit', 'verify', '--json'], { home });
    assert.equal(verified.code, 0, verified.stderr);
    const report = json<{ ok: boolean; rows: number; head: { state: string; rowId: number } }>(verified);
    assert.equal(report.ok, true);
    assert.ok(report.rows >= 4);
    assert.deepEqual(report.head, { state: 'verified', rowId: report.rows, detail: null });
    assert.match((await sophon(['audit', 'verify'], { home })).stdout, new RegExp(`^OK ${report.rows} row\\(s\\) chained up to row ${report.rows}; head verified at row ${report.rows}\\.`));

    const jsonl = await sophon(['audit', 'export', '--format', 'jsonl'], { home });
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const rows = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l) as Exported);
    assert.equal(rows.length, report.rows);
    // A SIEM can check the chain from the export alone.
    let prev = GENESIS_HASH;
    for (const r of rows) {
      assert.equal(r.prev_hash, prev);
      assert.equal(r.hash, rowHash(prev, [r.id, r.at, r.user_id, r.connection_id, r.service_id, r.skill, r.tool, r.action, r.outcome, r.detail]));
      assert.equal(r.time, new Date(r.at).toISOString());
      prev = r.hash;
    }
    const fromDb = JSON.parse(execFileSync('/usr/bin/sqlite3', ['-json', db, 'SELECT * FROM audit ORDER BY id']).toString()) as Record<string, unknown>[];
    assert.deepEqual(rows.map(({ time: _time, ...r }) => r), fromDb);

    const csv = await sophon(['audit', 'export', '--format', 'csv'], { home });
    assert.equal(csv.code, 0, csv.stderr);
    const [header, ...records] = parseCsv(csv.stdout);
    assert.deepEqual(header, Object.keys(rows[0]!));
    assert.deepEqual(
      records.map((rec) => Object.fromEntries(header!.map((h, i) => [h, h === 'id' || h === 'at' ? Number(rec[i]) : rec[i]]))),
      rows,
    );

    for (const out of [jsonl.stdout, csv.stdout, verified.stdout]) for (const form of forms(canary)) assert.ok(!out.includes(form), 'no secret in the audit output');
    // `sophon audit` with its filters still works as before.
    const filtered = json<{ rows: { action: string }[] }>(await sophon(['audit', '--json', '--since', '1h', '--limit', '2'], { home }));
    assert.equal(filtered.rows.length, 2);
  });

  test('after sqlite3 edits a row, verify exits 6 and names the row and the kind; a truncated tail is named too', async () => {
    execFileSync('/usr/bin/sqlite3', [db, "UPDATE audit SET outcome = 'ok' WHERE id = 3"]);
    const edited = await sophon(['audit', 'verify'], { home });
    assert.equal(edited.code, 6);
    assert.match(edited.stdout, /^BROKEN row 3 \(edited\): Row 3 was changed after it was written/);
    const asJson = json<{ ok: boolean; break: { kind: string; rowId: number } }>(await sophon(['audit', 'verify', '--json'], { home }));
    assert.deepEqual([asJson.ok, asJson.break.kind, asJson.break.rowId], [false, 'edited', 3]);

    // Put the row back (the hash says what it was), then cut the tail.
    execFileSync('/usr/bin/sqlite3', [db, "UPDATE audit SET outcome = 'failed' WHERE id = 3"]);
    assert.equal((await sophon(['audit', 'verify'], { home })).code, 0);
    execFileSync('/usr/bin/sqlite3', [db, 'DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)']);
    const truncated = await sophon(['audit', 'verify', '--json'], { home });
    assert.equal(truncated.code, 6);
    assert.equal(json<{ break: { kind: string } }>(truncated).break.kind, 'truncated');
  });

  test('a wrong --format is a usage error that names the choices', async () => {
    const r = await sophon(['audit', 'export', '--format', 'xml'], { home });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format takes jsonl or csv/);
  });
});
