// The tamper-evident audit trail: `sophon audit verify` of 1,000,000 rows (target ≤ 2 s): the serial walk
// and the walk on worker threads in this process, and the whole built command (a process of its own, its
// workers from dist/cli/audit-verify-worker.cjs); and what chaining costs the broker's batched writer:
// 100,000 rows through AuditBatcher with the chain (hash per row, the head file signed per batch) next to
// the same batches written the way they were before the chain (no hash), measured in this same run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyChain, type ChainReport } from '../electron/core/audit/chain-store';
import { verifyChainParallel } from '../electron/core/audit/parallel-verify';
import { AuditHeadStore } from '../electron/core/audit/audit-head';
import { AuditLog, type AuditEntry } from '../electron/core/audit/audit-log';
import { AuditBatcher } from '../electron/core/broker/audit-batch';
import { openDatabase, type Database } from '../electron/core/db/database';

const ROWS = 1_000_000;
const BATCH_ROWS = 100_000;
/** Rows per broker batch here: what a busy broker writes in one 100 ms transaction (~5,000 rows a second → 500). */
const BATCH = 500;
const ROUNDS = 3;
const SOPHON = fileURLToPath(new URL('../bin/sophon.mjs', import.meta.url));
/** The CLI's worker (scripts/bench.mjs builds first): the sources' worker would time tsx compiling TypeScript in every thread. */
const WORKER = fileURLToPath(new URL('../dist/cli/audit-verify-worker.cjs', import.meta.url));

const entry = (i: number): AuditEntry => ({
  userId: 'default',
  action: 'broker_use',
  outcome: i % 50 ? 'ok' : 'denied',
  connectionId: `github-${i % 7}`,
  serviceId: 'github',
  skill: 'bench',
  tool: 'get_user',
  detail: i % 50 ? 'GET api.github.com/user 200' : 'host_not_allowed: evil.example',
  at: 1_700_000_000_000 + i,
});

/** The writer as it was before the chain: 64-row INSERTs without hashes, one transaction per batch. */
function unchainedWriter(db: Database): Pick<AuditLog, 'recordMany'> {
  const cols = 'INSERT INTO audit (at, user_id, connection_id, service_id, skill, tool, action, outcome, detail) VALUES ';
  const one = db.prepare(`${cols}(?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const chunk = db.prepare(cols + Array.from({ length: 64 }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '));
  const push = (v: unknown[], e: AuditEntry) => v.push(e.at ?? Date.now(), e.userId, e.connectionId ?? null, e.serviceId ?? null, e.skill ?? null, e.tool ?? null, e.action, e.outcome, e.detail ?? null);
  const many = db.transaction((batch: readonly AuditEntry[]) => {
    let i = 0;
    const values: unknown[] = [];
    for (; i + 64 <= batch.length; i += 64) {
      values.length = 0;
      for (let j = i; j < i + 64; j++) push(values, batch[j]!);
      chunk.run(values);
    }
    for (; i < batch.length; i++) {
      values.length = 0;
      push(values, batch[i]!);
      one.run(values);
    }
  });
  return { recordMany: (entries) => many.immediate(entries) };
}

function throughBatcher(writer: Pick<AuditLog, 'recordMany'>, n: number): number {
  const batcher = new AuditBatcher(writer, { maxBatch: BATCH });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) batcher.record(entry(i));
  batcher.close();
  return performance.now() - t0;
}

if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run this through scripts/bench.mjs, which builds first`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const home = await fsp.mkdtemp(join(tmpdir(), 'sophon-bench-audit-'));
try {
  const key = { id: '0011223344556677', key: randomBytes(32) };
  const head = new AuditHeadStore(join(home, 'security'));

  // Insert cost, interleaved rounds into fresh databases so neither side gets the warmer cache.
  const before: number[] = [];
  const after: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await openDatabase(join(home, `plain-${r}.db`));
    before.push(throughBatcher(unchainedWriter(a), BATCH_ROWS));
    a.close();
    const b = await openDatabase(join(home, `chained-${r}.db`));
    after.push(throughBatcher(new AuditLog(b, { store: head, key: () => key }), BATCH_ROWS));
    b.close();
  }

  // 1,000,000 chained rows through the real writer, into a home of their own for the command.
  const cliHome = join(home, 'cli');
  const db = await openDatabase(join(cliHome, 'sophon.db'));
  const log = new AuditLog(db);
  const fill0 = performance.now();
  for (let i = 0; i < ROWS; i += 5_000) log.recordMany(Array.from({ length: 5_000 }, (_, j) => entry(i + j)));
  const fillMs = performance.now() - fill0;

  // Serial and parallel rounds interleaved, so neither gets the warmer page cache. CPU time is the
  // process's: every thread's.
  const lastHash = verifyChain(db, null).lastHash;
  const trusted = { rowId: ROWS, hash: lastHash };
  const timed = async (verify: () => ChainReport | Promise<ChainReport>) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const report = await verify();
    const cpu = process.cpuUsage(c0);
    if (report.rows !== ROWS || report.break) throw new Error(`verify found ${report.rows} rows, break ${JSON.stringify(report.break)}`);
    return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  const serial: { ms: number; cpuMs: number }[] = [];
  const parallel: { ms: number; cpuMs: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    serial.push(await timed(() => verifyChain(db, trusted)));
    parallel.push(await timed(() => verifyChainParallel(db, trusted, { workerBundle: WORKER })));
  }
  db.close();

  // The whole command, as a person runs it: start, open the home, verify, print.
  const command: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const run = spawnSync(process.execPath, [SOPHON, 'audit', 'verify', '--json'], { env: { ...process.env, SOPHON_HOME: cliHome }, encoding: 'utf8' });
    command.push(performance.now() - t0);
    const report = JSON.parse(run.stdout) as { ok: boolean; rows: number };
    if (run.status !== 0 || !report.ok || report.rows !== ROWS) throw new Error(`sophon audit verify exited ${run.status}: ${run.stdout}${run.stderr}`);
  }

  const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(2);
  const row = (what: string, ms: number, n: number) => console.log(`  ${what.padEnd(62)}${`${ms.toFixed(0)} ms`.padStart(10)}${`${us(ms, n)} µs`.padStart(12)}`);
  const rounds = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  const b = median(before);
  const c = median(after);
  const cmd = median(command);
  console.log('audit trail (hash chain)');
  console.log(`  ${'what'.padEnd(62)}${'median'.padStart(10)}${'per row'.padStart(12)}`);
  row(`AuditBatcher ${BATCH_ROWS.toLocaleString('en')} rows, batches of ${BATCH}, before the chain`, b, BATCH_ROWS);
  row(`AuditBatcher ${BATCH_ROWS.toLocaleString('en')} rows, batches of ${BATCH}, chained + head`, c, BATCH_ROWS);
  row(`fill ${ROWS.toLocaleString('en')} chained rows (recordMany of 5,000)`, fillMs, ROWS);
  row(`verify ${ROWS.toLocaleString('en')} rows, serial walk`, median(serial.map((x) => x.ms)), ROWS);
  row('  CPU time', median(serial.map((x) => x.cpuMs)), ROWS);
  row(`verify ${ROWS.toLocaleString('en')} rows, worker threads (CLI's worker)`, median(parallel.map((x) => x.ms)), ROWS);
  row('  CPU time, all threads', median(parallel.map((x) => x.cpuMs)), ROWS);
  row(`sophon audit verify, ${ROWS.toLocaleString('en')} rows (the whole command)`, cmd, ROWS);
  console.log(`rounds: serial ${rounds(serial.map((x) => x.ms))}; worker threads ${rounds(parallel.map((x) => x.ms))}; command ${rounds(command)} ms`);
  // On a shared machine the wall time is the CPU time times the queue for a core: the load says how long that is.
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} core(s)`);
  console.log(`chaining costs the batched writer ${(c / b).toFixed(2)}× (${us(c - b, BATCH_ROWS)} µs a row)`);
  console.log(`target: sophon audit verify of ${ROWS.toLocaleString('en')} rows ≤ 2,000 ms ${cmd <= 2_000 ? 'PASS' : 'FAIL'} (${cmd.toFixed(0)} ms, median of ${ROUNDS})`);
} finally {
  await fsp.rm(home, { recursive: true, force: true });
}
