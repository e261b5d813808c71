// `sophon broker serve` with two serving workers (the default): their audit batches go through the primary
// to the checkpointing worker, the one writer. Every call keeps exactly one row, the chain verifies to its
// signed head, and when that writer is killed (-9) mid-load the serving workers write their rows themselves:
// none lost, none twice (a batch the writer committed before dying is skipped by its id), the broker serving on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { addLocalApi, mintFor, startServe } from './serve-process';

const SECRET = 'sk-audit-relay-secret-0123456789abcdef';
const CALLERS = 8;

describe('broker serve with two workers: one audit writer behind the primary', async () => {
  const { home, cleanup } = await tempHome();
  let upstream: Server;
  let connection = '';
  let seen = 0;

  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      seen++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"login":"ada"}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    connection = await addLocalApi(home, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, SECRET);
  });

  afterAll(async () => {
    await new Promise((resolve) => upstream.close(resolve));
    await cleanup();
  });

  /** The checkpointing (audit-writing) worker among the primary's children, by its role in its environment. */
  function writerPid(children: string[]): number {
    const pid = children.find((p) => readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes('SOPHON_BROKER_ROLE=checkpoint'));
    assert.ok(pid, 'a checkpointing worker');
    return Number(pid);
  }

  /**
   * Serves with the default workers, makes `calls` calls (each its own path, so a row written twice shows)
   * from CALLERS callers, runs `midway` after half of them, then SIGTERM. Returns the rows of `skill`.
   */
  async function serveCalls(skill: string, calls: number, midway: (writer: number) => void): Promise<{ details: string[]; outcomes: string[] }> {
    const { token } = await mintFor(home, skill, connection);
    const { proc: serve, url, children: kids, stderr, closed } = await startServe(home);
    seen = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: CALLERS });
    try {
      assert.equal(kids.length, 3, 'two serving workers and the checkpointing one');
      const writer = writerPid(kids);
      let next = 0;
      const caller = async () => {
        while (next < calls) {
          const i = next++;
          if (i === calls / 2) midway(writer);
          const status = await new Promise<number>((resolve, reject) => {
            const req = request(`${url}/v1/proxy/${connection}/n/${i}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            req.end();
          });
          assert.equal(status, 200, `call ${i}`);
        }
      };
      await Promise.all(Array.from({ length: CALLERS }, caller));
    } finally {
      agent.destroy();
      serve.kill('SIGTERM');
    }
    assert.equal(await closed, 0, stderr());
    assert.equal(seen, calls);
    const db = new BetterSqlite3(join(home, 'sophon.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT detail, outcome FROM audit WHERE action = 'broker_use' AND skill = ?").all(skill) as { detail: string; outcome: string }[];
      assert.ok((db.prepare('SELECT count(*) FROM audit_batches').pluck().get() as number) > 0, 'the rows came as batches with ids');
      return { details: rows.map((r) => r.detail), outcomes: rows.map((r) => r.outcome) };
    } finally {
      db.close();
    }
  }

  async function assertVerifies(): Promise<void> {
    const verified = await sophon(['audit', 'verify', '--json'], { home });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const report = json<{ ok: boolean; lastId: number; head: { state: string; rowId: number | null } }>(verified);
    assert.equal(report.ok, true);
    assert.deepEqual(report.head, { ...report.head, state: 'verified', rowId: report.lastId }, 'the signed head names the last row');
  }

  const expected = (calls: number) => Array.from({ length: calls }, (_, i) => `GET /n/${i} → 200`).sort();

  test('many calls over both workers: one row per call, no duplicate, the chain verifies to its signed head', async () => {
    const { details, outcomes } = await serveCalls('relayed', 1_200, () => undefined);
    assert.deepEqual(details.sort(), expected(1_200));
    assert.ok(outcomes.every((o) => o === 'ok'));
    await assertVerifies();
  });

  test('the writer killed (-9) mid-load: the broker serves on, the workers write themselves; no row lost, none twice, the chain verifies', async () => {
    const { details } = await serveCalls('writer-killed', 1_200, (writer) => process.kill(writer, 'SIGKILL'));
    assert.deepEqual(details.sort(), expected(1_200));
    await assertVerifies();
  });
});
