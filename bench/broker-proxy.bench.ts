// GET through the broker proxy (`sophon broker serve`: token check, credential attach, redaction,
// batched audit) against the same upstream called directly, and against Debian's nginx as a plain
// reverse proxy adding a fixed Authorization header (one worker) — all measured in this run, 32
// connections, by autocannon. Every request through the broker must be in the audit trail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerSettingsSchema } from '../electron/core/broker/settings';
import { openDatabase } from '../electron/core/db/database';
import { firstLine } from '../test/helpers/child';

const CONNECTIONS = 32;
const SECONDS = Number(process.env.SOPHON_BENCH_SECONDS ?? 10);
const ROUNDS = 2;
const BIN = fileURLToPath(new URL('../bin/sophon.mjs', import.meta.url));
const NGINX = '/usr/sbin/nginx';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

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
  start(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs', 'error.log')]);

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
  const profile = process.env.SOPHON_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SOPHON_BENCH_PROFILE}`] : [];
  const serve = start(process.execPath, [...profile, BIN, 'broker', 'serve', '--json'], env);
  serve.stderr!.on('data', (d: Buffer) => process.stderr.write(`  [broker] ${d.toString()}`));
  const brokerUrl = (JSON.parse(await firstLine(serve)) as { url: string }).url;
  const auth = { authorization: `Bearer ${token}` };

  const targets = {
    direct: { url: `${upUrl}/user`, headers: {} as Record<string, string> },
    nginx: { url: `http://127.0.0.1:${nginxPort}/user`, headers: {} as Record<string, string> },
    'nginx (upstream keep-alive)': { url: `http://127.0.0.1:${nginxKaPort}/user`, headers: {} as Record<string, string> },
    broker: { url: `${brokerUrl}/v1/proxy/${conn}/user`, headers: auth },
  };
  for (const [name, t] of Object.entries(targets)) {
    await waitFor(t.url, t.headers).catch((err: Error) => {
      throw new Error(`${name}: ${err.message}`);
    });
  }
  const check = await fetch(targets.broker.url, { headers: auth, signal: AbortSignal.timeout(5_000) });
  const checkBody = await check.text();
  if (check.status !== 200 || !checkBody.includes('octocat')) throw new Error(`the broker did not proxy: ${check.status} ${checkBody}`);

  const results: Record<string, { rps: number[]; p50: number[]; p99: number[]; failed: number }> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, t] of Object.entries(targets)) {
      const measure = async () => {
        await autocannon({ ...t, connections: CONNECTIONS, duration: 2 }); // warm-up
        return autocannon({ ...t, connections: CONNECTIONS, duration: SECONDS });
      };
      process.stderr.write(`  measuring ${name}…\n`);
      const r = await measure();
      // A failed request is counted and shown, not fatal: one socket error must not lose the whole run.
      const row = (results[name] ??= { rps: [], p50: [], p99: [], failed: 0 });
      row.failed += r.non2xx + r.errors + r.timeouts;
      row.rps.push(r.requests.average);
      row.p50.push(r.latency.p50);
      row.p99.push(r.latency.p99);
    }
  }

  // Stop the broker (it flushes its audit batch on SIGTERM), then count the rows: none may be missing.
  process.stderr.write('  stopping the broker…\n');
  serve.kill('SIGTERM');
  await new Promise((r) => serve.on('close', r));
  process.stderr.write('  counting…\n');
  const brokerForwarded = await seenWith(`Bearer ${REAL}`);
  const db = await openDatabase(join(home, 'sophon.db'));
  const audited = (db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'broker_use' AND outcome = 'ok' AND skill = 'bench'").get() as { n: number }).n;
  // Rows other than ok (a refusal, an unreachable upstream) say why a count differs.
  const others = db
    .prepare("SELECT outcome, substr(detail, 1, instr(detail || ':', ':') - 1) AS code, COUNT(*) AS n FROM audit WHERE action = 'broker_use' AND outcome != 'ok' GROUP BY 1, 2")
    .all() as { outcome: string; code: string; n: number }[];
  db.close();

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = (name: string) => ({ rps: mean(results[name]!.rps), p50: mean(results[name]!.p50), p99: mean(results[name]!.p99), failed: results[name]!.failed });
  const nginx = row('nginx');
  const serving = workers.Workers ?? BrokerSettingsSchema.parse({}).Workers;
  console.log(`\n## Broker proxy: GET at ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s each (autocannon; upstream, nginx and broker in their own processes; broker: Sophon.Broker.Workers = ${serving})\n`);
  console.log('| path | req/s | p50 ms | p99 ms | req/s vs nginx | p99 vs nginx | failed requests |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of Object.keys(targets)) {
    const r = row(name);
    console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.rps / nginx.rps).toFixed(2)}× | ${(r.p99 / nginx.p99).toFixed(2)}× | ${r.failed} |`);
  }
  const b = row('broker');
  const direct = row('direct');
  console.log(`\nbroker vs direct: ${(b.rps / direct.rps).toFixed(2)}× throughput; nginx vs direct: ${(nginx.rps / direct.rps).toFixed(2)}×`);
  // Every request the broker forwarded (warm-ups and checks included) has its row.
  console.log(`audit: ${audited} broker_use rows; ${brokerForwarded} requests reached the upstream through the broker`);
  if (others.length) console.log(`other broker_use rows: ${others.map((o) => `${o.outcome} ${o.code} × ${o.n}`).join(', ')}`);
  console.log(`targets: throughput ≥ 0.8× nginx ${b.rps >= 0.8 * nginx.rps ? 'PASS' : 'MISS'} (${(b.rps / nginx.rps).toFixed(2)}×); p99 ≤ 1.5× nginx ${b.p99 <= 1.5 * nginx.p99 ? 'PASS' : 'MISS'} (${(b.p99 / nginx.p99).toFixed(2)}×); every request audited ${audited === brokerForwarded ? 'PASS' : 'MISS'}`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
