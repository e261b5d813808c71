// `sophon connect list --json` with 1,000 connections, as a whole process, next to `node -e 0` measured
// in the same run: the ratio is the figure (target ≤ 2×). Runs alternate so drift hits both equally.
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../electron/core/sophon-core';

const CONNECTIONS = 1_000;
const RUNS = 21;
// The `sophon` command as installed: the file package.json's "bin" names.
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { bin: { sophon: string } };
const BIN = fileURLToPath(new URL(`../${pkg.bin.sophon}`, import.meta.url));

const home = await mkdtemp(join(tmpdir(), 'sophon-bench-cli-'));
try {
  await mkdir(join(home, 'config'));
  await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
  const core = await createCore({ home });
  for (let i = 0; i < CONNECTIONS; i++) {
    await core.connections.add('default', { serviceId: 'openai', label: `Key ${i}`, secret: `sk-bench-${i}-${'x'.repeat(40)}`, test: false });
  }
  core.close();

  const env = { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' };
  const time = (args: string[]) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
    return { ms, out: r.stdout };
  };
  const listed = (JSON.parse(time([BIN, 'connect', 'list', '--json']).out.toString()) as { connections: unknown[] }).connections.length;
  if (listed !== CONNECTIONS) throw new Error(`listed ${listed} connections, expected ${CONNECTIONS}`);

  const bare: number[] = [];
  const list: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(time(['-e', '0']).ms);
    list.push(time([BIN, 'connect', 'list', '--json']).ms);
  }
  // The figure is the ratio of the medians. The other columns show the spread: on a shared machine
  // wall time is noisy, and a ratio that holds at p25 and p75 too is not luck.
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p + 0.5))]!;
  const median = (xs: number[]) => pct(xs, 0.5);
  const ratio = median(list) / median(bare);
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${pct(xs, 0.25).toFixed(1)} | ${pct(xs, 0.75).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
  const paired = bare.map((b, i) => list[i]! / b);
  console.log(`\n## CLI: connect list --json, ${CONNECTIONS} connections (${RUNS} runs each, alternating; wall time)\n`);
  console.log('| command | median ms | min ms | p25 ms | p75 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  console.log(row('node -e 0 (baseline)', bare));
  console.log(row('sophon connect list --json', list));
  console.log(
    `\nratio of medians: ${ratio.toFixed(2)}× node -e 0 (target ≤ 2.00×) ${ratio <= 2 ? 'PASS' : 'MISS'}` +
      ` — of minimums ${(Math.min(...list) / Math.min(...bare)).toFixed(2)}×, of p25 ${(pct(list, 0.25) / pct(bare, 0.25)).toFixed(2)}×,` +
      ` of p75 ${(pct(list, 0.75) / pct(bare, 0.75)).toFixed(2)}×, median of paired runs ${median(paired).toFixed(2)}×`,
  );
} finally {
  await rm(home, { recursive: true, force: true });
}
