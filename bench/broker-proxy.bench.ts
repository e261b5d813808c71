// GET through the broker proxy (`sophon broker serve`: token check, credential attach, redaction,
// batched audit) against the reference a user would pick instead: Debian's nginx as a reverse proxy
// adding a fixed Authorization header, configured as its docs recommend for proxying (one worker,
// `keepalive 64` to the upstream, HTTP/1.1 with the Connection header cleared). The same upstream called
// directly and nginx without upstream keep-alive are printed for context. The load generator is Debian's
// `wrk` (one thread, 32 connections): a C program, so it takes far less of the two cores than a Node
// generator would. The first round of every target is a reported warm-up; the targets are judged on the
// rounds after it. Every request the broker forwarded must be in the audit trail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SettingsSchema } from '../electron/core/config/settings';
import { openDatabase } from '../electron/core/db/database';
import { firstLine } from '../test/helpers/child';
import { phaseTable } from './cpu-profile';

const CONNECTIONS = 32;
const SECONDS = Number(process.env.SOPHON_BENCH_SECONDS ?? 5);
/** Measured rounds after the warm-up round, interleaved across targets so a slow spell hits them all. */
const ROUNDS = Number(process.env.SOPHON_BENCH_ROUNDS ?? 3);
const BIN = fileURLToPath(new URL('../bin/sophon.mjs', import.meta.url));
const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
  /** CPU time (user + system) the target's own processes used, per request: what the load does not change much. */
  cpuUs: number;
}

/** Clock ticks of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_US = 10_000;

/** The process and every process under it (the broker's workers, nginx's worker). */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // After the command name (in parentheses, possibly with spaces): state, ppid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** Microseconds of CPU (user + system) used so far by these processes (threads included). */
function cpuTime(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone meanwhile */
    }
  }
  return ticks * TICK_US;
}

/** Milliseconds from wrk's "1.23ms" / "850.00us" / "1.02s". */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk printed a latency it cannot read: ${text}`);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function wrk(url: string, headers: Record<string, string>, seconds: number, pids: number[]): WrkResult {
  const cpuBefore = cpuTime(pids);
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const r = spawnSync(WRK, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed (${r.status}): ${r.stderr}`);
  const cpuUs = cpuTime(pids) - cpuBefore;
  const out = r.stdout;
  const pct = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? 'NaN');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps) || !Number.isFinite(requests)) throw new Error(`wrk printed no rate:\n${out}`);
  return { rps, p50: pct('50'), p99: pct('99'), requests, failed: non2xx + socketErrors, cpuUs: cpuUs / Math.max(1, requests) };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const children: ChildProcess[] = [];
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}
async function waitFor(url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url, { headers, signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

// The upstream: its own process, a small JSON answer like GitHub's /user; counts what reached it.
const UPSTREAM = `
const http = require('node:http');
const counts = {};
const body = JSON.stringify({ login: 'octocat', id: 583231, name: 'The Octocat', company: '@github', public_repos: 8, followers: 9999 });
http.createServer((req, res) => {
  if (req.url.startsWith('/__count')) { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(String(counts[decodeURIComponent(req.url.slice(9))] || 0)); }
  const who = req.headers.authorization || '';
  counts[who] = (counts[who] || 0) + 1;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

// The floor: the least a Node proxy does for the same job, with none of the broker's rules (no token, no
// policy, no redaction, no audit): node:http's server, undici's Pool to the upstream (as the broker uses),
// one fixed header added. What the broker costs above it is Sophon's; what it costs above nginx is Node's.
const NODE_FLOOR = `
const http = require('node:http');
const { Pool } = require(${JSON.stringify(createRequire(import.meta.url).resolve('undici'))});
const upstream = process.argv[1];
const pool = new Pool(upstream, { connections: 256, pipelining: 1 });
const host = new URL(upstream).host;
http.createServer((req, res) => {
  let status = 0; let headers = {}; const chunks = [];
  pool.dispatch({ method: req.method, path: req.url, headers: { host, authorization: 'Bearer bench-fixed-token-0123456789', 'accept-encoding': 'identity' } }, {
    onRequestStart() {},
    onResponseStart(_c, s, h) { status = s; headers = h; },
    onResponseData(_c, chunk) { chunks.push(chunk); },
    onResponseEnd() { const body = Buffer.concat(chunks); res.writeHead(status, ['content-type', headers['content-type'], 'content-length', String(body.length)]); res.end(body); },
    onResponseError() { res.writeHead(502); res.end(); },
  });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

const work = await mkdtemp(join(tmpdir(), 'sophon-bench-broker-'));
try {
  const upstream = start(process.execPath, ['-e', UPSTREAM]);
  const upPort = Number(await firstLine(upstream));
  const upUrl = `http://127.0.0.1:${upPort}`;
  // Requests the upstream saw with a given Authorization header (the broker attaches the real credential).
  const seenWith = async (authorization: string) => Number(await (await fetch(`${upUrl}/__count?${encodeURIComponent(authorization)}`)).text());

  // nginx: one worker, plain reverse proxy adding a fixed Authorization header (and, for reference, the same with upstream keep-alive).
  const nginxPort = await freePort();
  const nginxKaPort = await freePort();
  const prefix = join(work, 'nginx');
  await mkdir(join(prefix, 'logs'), { recursive: true });
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(prefix, t)};`).join('\n    ');
  const conf = `
worker_processes 1;
daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 4096; }
http {
    access_log off;
    ${temp}
    upstream keepalive_upstream { server 127.0.0.1:${upPort}; keepalive 64; }
    server {
        listen 127.0.0.1:${nginxPort};
        location / { proxy_pass ${upUrl}; proxy_set_header Authorization "Bearer bench-fixed-token-0123456789"; }
    }
    server {
        listen 127.0.0.1:${nginxKaPort};
        location / { proxy_pass http://keepalive_upstream; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Authorization "Bearer bench-fixed-token-0123456789"; }
    }
}`;
  await writeFile(join(prefix, 'nginx.conf'), conf);
  const nginxProcess = start(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs', 'error.log')]);

  const floor = start(process.execPath, ['-e', NODE_FLOOR, upUrl]);
  const floorPort = Number(await firstLine(floor));

  // Sophon: a home with a local bearer service at the upstream, a connection, `sophon broker serve`, a minted token.
  const home = join(work, 'home');
  // The broker's own default (Sophon.Broker.Workers) unless SOPHON_BENCH_WORKERS says otherwise.
  const workers = process.env.SOPHON_BENCH_WORKERS ? { Workers: Number(process.env.SOPHON_BENCH_WORKERS) } : {};
  await mkdir(join(home, 'config'), { recursive: true });
  await mkdir(join(home, 'connectors'));
  await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: { TokenTtlSeconds: 3600, ...workers } } }));
  await writeFile(
    join(home, 'connectors', 'bench-api.json'),
    JSON.stringify({ id: 'bench-api', name: 'Bench API', group: 'Generic', auth: { method: 'bearer', secretLabel: 'Token' }, apiBaseUrl: upUrl, allowedHosts: [`127.0.0.1:${upPort}`], attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }], test: { kind: 'http', path: '/user' }, local: true }),
  );
  const env = { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' };
  const cli = (args: string[], input = '') => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sophon ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const REAL = 'ghp_benchRealSecret0123456789abcdefABCDEF';
  const conn = (JSON.parse(cli(['connect', 'add', 'bench-api', '--secret-stdin', '--no-test', '--json'], REAL)) as { connection: { id: string } }).connection.id;
  const token = (JSON.parse(cli(['broker', 'mint', '--skill', 'bench', '--tool', 'get', '--connection', conn, '--json'])) as { token: string }).token;
  // SOPHON_BENCH_PROFILE=<empty folder>: the broker's processes write CPU profiles there, and the run ends with the phase table.
  const profileDir = process.env.SOPHON_BENCH_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const serve = start(process.execPath, [...profile, BIN, 'broker', 'serve', '--json'], env);
  serve.stderr!.on('data', (d: Buffer) => process.stderr.write(`  [broker] ${d.toString()}`));
  const brokerUrl = (JSON.parse(await firstLine(serve)) as { url: string }).url;
  const auth = { authorization: `Bearer ${token}` };

  const all = {
    direct: { url: `${upUrl}/user`, headers: {} as Record<string, string>, pid: upstream.pid! },
    nginx: { url: `http://127.0.0.1:${nginxKaPort}/user`, headers: {} as Record<string, string>, pid: nginxProcess.pid! },
    'nginx, no upstream keep-alive': { url: `http://127.0.0.1:${nginxPort}/user`, headers: {} as Record<string, string>, pid: nginxProcess.pid! },
    'node floor (http server + undici, one header)': { url: `http://127.0.0.1:${floorPort}/user`, headers: {} as Record<string, string>, pid: floor.pid! },
    broker: { url: `${brokerUrl}/v1/proxy/${conn}/user`, headers: auth, pid: serve.pid! },
  };
  type Target = keyof typeof all;
  // SOPHON_BENCH_TARGETS=nginx,broker measures only those (a profile of the broker alone, a quicker comparison); nginx is always one.
  const only = process.env.SOPHON_BENCH_TARGETS?.split(',').map((t) => t.trim());
  const targets = Object.fromEntries(Object.entries(all).filter(([name]) => !only || name === 'nginx' || name === 'broker' || only.some((o) => name.startsWith(o)))) as typeof all;
  for (const [name, t] of Object.entries(targets)) {
    await waitFor(t.url, t.headers).catch((err: Error) => {
      throw new Error(`${name}: ${err.message}`);
    });
  }
  const check = await fetch(targets.broker.url, { headers: auth, signal: AbortSignal.timeout(5_000) });
  const checkBody = await check.text();
  if (check.status !== 200 || !checkBody.includes('octocat')) throw new Error(`the broker did not proxy: ${check.status} ${checkBody}`);

  // Round 0 is the warm-up (JIT, pools, page cache): reported, not judged.
  const rounds = Object.fromEntries(Object.keys(targets).map((name) => [name, []])) as unknown as Record<Target, WrkResult[]>;
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, t] of Object.entries(targets) as [Target, (typeof targets)[Target]][]) {
      process.stderr.write(`  ${round === 0 ? 'warm-up' : `round ${round}`}: ${name}…\n`);
      rounds[name].push(wrk(t.url, t.headers, SECONDS, processTree(t.pid)));
    }
  }

  const processCount = processTree(serve.pid!).length;
  // Stop the broker (it flushes its audit batch on SIGTERM), then count the rows: none may be missing.
  process.stderr.write('  stopping the broker…\n');
  serve.kill('SIGTERM');
  await new Promise((r) => serve.on('close', r));
  const brokerForwarded = await seenWith(`Bearer ${REAL}`);
  const db = await openDatabase(join(home, 'sophon.db'));
  const audited = (db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'broker_use' AND outcome = 'ok' AND skill = 'bench'").get() as { n: number }).n;
  // Rows other than ok (a refusal, an unreachable upstream) say why a count differs.
  const others = db
    .prepare("SELECT outcome, substr(detail, 1, instr(detail || ':', ':') - 1) AS code, COUNT(*) AS n FROM audit WHERE action = 'broker_use' AND outcome != 'ok' GROUP BY 1, 2")
    .all() as { outcome: string; code: string; n: number }[];
  db.close();

  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const judged = (name: Target) => rounds[name].slice(1);
  const summary = (name: Target) => {
    const rs = judged(name);
    return { rps: mean(rs.map((r) => r.rps)), cpuUs: mean(rs.map((r) => r.cpuUs)), p50: mean(rs.map((r) => r.p50)), p99: mean(rs.map((r) => r.p99)), worstP99: Math.max(...rs.map((r) => r.p99)), failed: rs.reduce((n, r) => n + r.failed, 0) };
  };
  const nginx = summary('nginx');
  const broker = summary('broker');
  const serving = workers.Workers ?? SettingsSchema.parse({}).Sophon.Broker.Workers;
  console.log(`\n## Broker proxy: GET, wrk -t1 -c${CONNECTIONS}, ${ROUNDS} rounds × ${SECONDS} s after a warm-up round (upstream, nginx and broker in their own processes; broker: Sophon.Broker.Workers = ${serving}; reference: nginx, one worker, keepalive 64 to the upstream)\n`);
  console.log('| path | req/s | p50 ms | p99 ms | worst round p99 ms | req/s vs nginx | p99 vs nginx | CPU µs / request (vs nginx) | warm-up req/s, p99 ms | failed |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of Object.keys(targets) as Target[]) {
    const r = summary(name);
    const w = rounds[name][0]!;
    console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.worstP99.toFixed(2)} | ${(r.rps / nginx.rps).toFixed(2)}× | ${(r.p99 / nginx.p99).toFixed(2)}× | ${r.cpuUs.toFixed(1)} (${(r.cpuUs / nginx.cpuUs).toFixed(2)}×) | ${w.rps.toFixed(0)}, ${w.p99.toFixed(2)} | ${r.failed} |`);
  }
  console.log(`\nbroker p99 by round (ms): ${rounds.broker.map((r, i) => `${i === 0 ? 'warm-up ' : ''}${r.p99.toFixed(2)}`).join(' · ')}`);
  // Every request the broker forwarded (warm-ups and checks included) has its row.
  console.log(`audit: ${audited} broker_use rows; ${brokerForwarded} requests reached the upstream through the broker`);
  if (others.length) console.log(`other broker_use rows: ${others.map((o) => `${o.outcome} ${o.code} × ${o.n}`).join(', ')}`);
  if (profileDir) {
    // The profiles are written as the processes exit; a worker's may come a moment after the primary's close.
    for (let i = 0; i < 50 && (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile')).length < processCount; i++) await new Promise((r) => setTimeout(r, 100));
    console.log(`\nbroker CPU by phase (V8 CPU profiles of its ${processCount} processes; µs / request from the CPU per request above):\n`);
    console.log(phaseTable(profileDir, broker.cpuUs));
  }
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  console.log(
    `targets: throughput ≥ 0.8× nginx ${verdict(broker.rps >= 0.8 * nginx.rps)} (${(broker.rps / nginx.rps).toFixed(2)}×); ` +
      `p99 ≤ 3× nginx ${verdict(broker.p99 <= 3 * nginx.p99)} (${(broker.p99 / nginx.p99).toFixed(2)}×); ` +
      `no round's p99 over 20 ms after warm-up ${verdict(broker.worstP99 <= 20)} (worst ${broker.worstP99.toFixed(2)} ms); ` +
      `every request audited ${verdict(audited === brokerForwarded)}`,
  );
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
