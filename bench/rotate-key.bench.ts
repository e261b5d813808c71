// `vault rotate-key` over 10,000 credentials next to the bare work it is built on: an atomic rewrite of
// the same 10,000 files (temp file, fsync, rename each; one folder fsync at the end), measured in this
// same run, in the same folder. Target: rotation ≤ 2× the bare rewrite.
import { constants, promises as fsp } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVault } from '../electron/core/vault/open-vault';
import { rotateKey } from '../electron/core/vault/rotate-key';

const N = Number(process.env.SOPHON_BENCH_ROTATE_N ?? 10_000);
const CONCURRENCY = Number(process.env.SOPHON_BENCH_ROTATE_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.SOPHON_BENCH_ROTATE_ROUNDS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bareRewrite(dir: string, names: string[], concurrency: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const target = join(dir, names[next++]!);
      const data = await fsp.readFile(target);
      const tmp = `${target}.bench.tmp`;
      const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await fh.writeFile(data);
      await fh.sync();
      await fh.close();
      await fsp.rename(tmp, target);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const d = await fsp.open(dir, constants.O_RDONLY);
  await d.sync();
  await d.close();
  return performance.now() - t0;
}

const home = await fsp.mkdtemp(join(tmpdir(), 'sophon-bench-rotate-'));
try {
  await fsp.mkdir(join(home, 'config'));
  await fsp.writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
  const { vault } = await openVault({ home });
  for (let i = 0; i < N; i += 32) {
    await Promise.all(Array.from({ length: Math.min(32, N - i) }, (_, j) => vault.put('default', `conn-${i + j}`, { accessToken: `at-${i + j}-${'x'.repeat(48)}`, refreshToken: `rt-${'y'.repeat(48)}`, scopes: ['read'] })));
  }
  const dir = join(home, 'vault');
  const names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.vault'));

  // Rounds alternate the two, in the same folder, so both see the same disk, cache and load; the medians
  // (and the median of the per-round ratios) are reported. A single pair was 1.97×–4.64× from run to run.
  const bare: number[] = [];
  const rotation: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await bareRewrite(dir, names, CONCURRENCY);
    const t0 = performance.now();
    const result = await rotateKey({ home, concurrency: CONCURRENCY });
    const rot = performance.now() - t0;
    if (result.resealed !== N) throw new Error(`rotation re-sealed ${result.resealed} of ${N}`);
    bare.push(b);
    rotation.push(rot);
    ratios.push(rot / b);
  }
  const bareSeq = await bareRewrite(dir, names, 1);
  const t1 = performance.now();
  const seq = await rotateKey({ home, concurrency: 1 });
  const rotationSeq = performance.now() - t1;
  if (seq.resealed !== N) throw new Error(`sequential rotation re-sealed ${seq.resealed} of ${N}`);

  const s = (ms: number) => (ms / 1000).toFixed(2);
  const ratio = median(ratios);
  console.log(`\n## Key rotation, ${N} credentials (${ROUNDS} rounds, medians)\n`);
  console.log('| run | rotation s | bare rewrite s | ratio |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| ${CONCURRENCY} files at a time (the default), median of ${ROUNDS} | ${s(median(rotation))} | ${s(median(bare))} | ${ratio.toFixed(2)} |`);
  console.log(`| one file at a time, one round | ${s(rotationSeq)} | ${s(bareSeq)} | ${(rotationSeq / bareSeq).toFixed(2)} |`);
  console.log(`\nper-round ratios: ${ratios.map((x) => x.toFixed(2)).join(', ')}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('bare rewrite = read + temp file + fsync + rename of each file, one folder fsync; rotation adds the per-file writer lock, decrypt + encrypt, the journal, key staging and retirement');
  console.log(`\ntarget: rotation ≤ 2× bare rewrite (median ratio, ${CONCURRENCY} at a time) ${ratio <= 2 ? 'PASS' : 'MISS'}`);
} finally {
  await fsp.rm(home, { recursive: true, force: true });
}
