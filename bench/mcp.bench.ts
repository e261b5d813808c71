// The cost of the MCP door: an `http_request` tool call from an SDK client over stdio (`sophon mcp`)
// against the same GET sent straight to the broker's `POST /v1/execute` (`sophon broker serve`), same
// upstream, same connection, same run. Calls go one at a time (an agent waits for each answer), the two
// paths interleaved call by call so a slow spell hits both; the first round is a reported warm-up. Target:
// the door adds at most 1 ms at p50.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BrokerSettingsSchema } from '../electron/core/config/settings';
import { firstLine } from '../test/helpers/child';

const CALLS = Number(process.env.SOPHON_BENCH_CALLS ?? 1000);
const ROUNDS = Number(process.env.SOPHON_BENCH_ROUNDS ?? 3);
const BIN = fileURLToPath(new URL('../bin/sophon.mjs', import.meta.url));

// The upstream: its own process, a small JSON answer like GitHub's /user.
const UPSTREAM = `
const http = require('node:http');
const body = JSON.stringify({ login: 'octocat', id: 583231, name: 'The Octocat', company: '@github', public_repos: 8, followers: 9999 });
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

const children: ChildProcess[] = [];
const work = await mkdtemp(join(tmpdir(), 'sophon-bench-mcp-'));
let client: Client | undefined;
try {
  const upstream = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(upstream);
  const upPort = Number(await firstLine(upstream));
  const upUrl = `http://127.0.0.1:${upPort}`;

  const home = join(work, 'home');
  await mkdir(join(home, 'config'), { recursive: true });
  await mkdir(join(home, 'connectors'));
  await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: { TokenTtlSeconds: 3600 } } }));
  await writeFile(
    join(home, 'connectors', 'bench-api.json'),
    JSON.stringify({ id: 'bench-api', name: 'Bench API', group: 'Generic', auth: { method: 'bearer', secretLabel: 'Token' }, apiBaseUrl: upUrl, allowedHosts: [`127.0.0.1:${upPort}`], attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }], test: { kind: 'http', path: '/user' }, local: true }),
  );
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, SOPHON_HOME: home, NO_COLOR: '1' })) if (v !== undefined) env[k] = v;
  const cli = (args: string[], input = '') => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sophon ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const conn = (JSON.parse(cli(['connect', 'add', 'bench-api', '--secret-stdin', '--no-test', '--json'], 'ghp_benchRealSecret0123456789abcdefABCDEF')) as { connection: { id: string } }).connection.id;
  const token = (JSON.parse(cli(['broker', 'mint', '--skill', 'bench', '--tool', 'get', '--connection', conn, '--json'])) as { token: string }).token;

  const serve = spawn(process.execPath, [BIN, 'broker', 'serve', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(serve);
  const brokerUrl = (JSON.parse(await firstLine(serve)) as { url: string }).url;
  const instruction = JSON.stringify({ connection: conn, method: 'GET', path: '/user' });
  const viaRest = async () => {
    const r = await fetch(`${brokerUrl}/v1/execute`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: instruction });
    const out = (await r.json()) as { status: number };
    if (r.status !== 200 || out.status !== 200) throw new Error(`/v1/execute answered ${r.status}/${out.status}`);
  };

  client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env, stderr: 'inherit' }));
  const viaMcp = async () => {
    const r = (await client!.callTool({ name: 'http_request', arguments: { connection: conn, path: '/user' } })) as CallToolResult;
    if (r.isError || (r.structuredContent as { status: number }).status !== 200) throw new Error(`http_request failed: ${JSON.stringify(r.content)}`);
  };

  const rounds: { rest: number[]; mcp: number[] }[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const rest: number[] = [];
    const mcp: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      // Alternate which goes first, so neither always runs right after the other's GC or audit flush.
      const order = i % 2 === 0 ? ([['rest', viaRest], ['mcp', viaMcp]] as const) : ([['mcp', viaMcp], ['rest', viaRest]] as const);
      for (const [name, fn] of order) {
        const t0 = performance.now();
        await fn();
        (name === 'rest' ? rest : mcp).push(performance.now() - t0);
      }
    }
    rounds.push({ rest, mcp });
  }
  const judged = rounds.slice(1);
  const rest = stats(judged.flatMap((r) => r.rest));
  const mcp = stats(judged.flatMap((r) => r.mcp));
  const warm = { rest: stats(rounds[0]!.rest), mcp: stats(rounds[0]!.mcp) };
  console.log(`\n## MCP door: a GET as an http_request tool call over stdio vs the same call to the broker's POST /v1/execute (one at a time, interleaved; ${ROUNDS} rounds × ${CALLS} calls each after a warm-up round; upstream, broker and \`sophon mcp\` in their own processes; the broker serves with Sophon.Broker.Workers = ${BrokerSettingsSchema.parse({}).Workers}, its default)\n`);
  console.log('| path | p50 ms | p99 ms | mean ms | p50 vs /v1/execute | p99 vs /v1/execute | warm-up p50, p99 ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, r, w] of [['POST /v1/execute (baseline)', rest, warm.rest], ['MCP http_request (stdio)', mcp, warm.mcp]] as const) {
    console.log(`| ${name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.mean.toFixed(2)} | ${(r.p50 / rest.p50).toFixed(2)}× | ${(r.p99 / rest.p99).toFixed(2)}× | ${w.p50.toFixed(2)}, ${w.p99.toFixed(2)} |`);
  }
  const overhead = mcp.p50 - rest.p50;
  console.log(`\np50 overhead of the MCP door: ${overhead.toFixed(2)} ms (p99: ${(mcp.p99 - rest.p99).toFixed(2)} ms)`);
  console.log(`target: p50 overhead ≤ 1 ms ${overhead <= 1 ? 'PASS' : 'MISS'}`);
} finally {
  await client?.close().catch(() => undefined);
  // The broker flushes its audit into the home as it stops: the folder goes once every child has exited.
  await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGTERM'); })));
  await rm(work, { recursive: true, force: true });
}
