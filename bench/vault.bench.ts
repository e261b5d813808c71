// The vault with 10,000 credentials: put, warm get, list and cold open, each next to the bare
// operation it is built on (fs.readFile + AES-256-GCM decrypt; temp + fsync + rename + folder fsync),
// measured in this same run, so the vault's own overhead shows as a ratio.
import { createDecipheriv, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVault } from '../electron/core/vault/open-vault';

const N = 10_000;
const SAMPLES = 400;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const median = (xs: number[]) => pct(xs, 50);
async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

const home = await fsp.mkdtemp(join(tmpdir(), 'sophon-bench-vault-'));
try {
  await fsp.mkdir(join(home, 'config'));
  await fsp.writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
  const { vault, keys } = await openVault({ home });
  const cred = (i: number) => ({ accessToken: `at-${i}-${randomBytes(24).toString('hex')}`, refreshToken: `rt-${randomBytes(24).toString('hex')}`, expiresAt: Date.now() + 3_600_000, scopes: ['read', 'write'], extra: {} });

  // Fill through the real put path, 32 at a time.
  const fillStart = performance.now();
  for (let i = 0; i < N; i += 32) await Promise.all(Array.from({ length: Math.min(32, N - i) }, (_, j) => vault.put('default', `conn-${i + j}`, cred(i + j))));
  const fillMs = performance.now() - fillStart;
  const key = await keys.get();

  // put (sequential, one credential at a time) vs a bare atomic write of the same bytes.
  const put = await timeEach(SAMPLES, (i) => vault.put('default', `conn-${i}`, cred(i)));
  const sample = await fsp.readFile(join(home, 'vault', 'default_conn-0.vault'));
  // Same folder (10,000 entries) and, like put, replacing an existing file: only the vault's own work differs.
  const bareDir = join(home, 'vault');
  for (let i = 0; i < SAMPLES; i++) await fsp.writeFile(join(bareDir, `bare-${i}`), sample);
  const barePut = await timeEach(SAMPLES, async (i) => {
    const target = join(bareDir, `bare-${i}`);
    const tmp = `${target}.tmp`;
    const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await fh.writeFile(sample);
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, target);
    const dir = await fsp.open(bareDir, constants.O_RDONLY);
    await dir.sync();
    await dir.close();
  });

  // get with the key warm vs bare read + decrypt of the same file.
  const ids = Array.from({ length: 2_000 }, () => Math.floor(Math.random() * N));
  const get = await timeEach(ids.length, (i) => vault.get('default', `conn-${ids[i]}`));
  const bareGet = await timeEach(ids.length, async (i) => {
    const data = await fsp.readFile(join(home, 'vault', `default_conn-${ids[i]}.vault`));
    const d = createDecipheriv('aes-256-gcm', key.key, data.subarray(13, 25));
    d.setAAD(Buffer.concat([data.subarray(0, 25), Buffer.from(`\0sophon-vault\0default\0conn-${ids[i]}`)]));
    d.setAuthTag(data.subarray(data.length - 16));
    JSON.parse(Buffer.concat([d.update(data.subarray(25, data.length - 16)), d.final()]).toString('utf8'));
  });

  for (let i = 0; i < SAMPLES; i++) await fsp.unlink(join(bareDir, `bare-${i}`));
  const list = await timeEach(15, async () => {
    if ((await vault.list()).length !== N) throw new Error('list lost credentials');
  });

  // Cold open: fresh objects, nothing cached — settings, key (file protector), first credential.
  const cold = await timeEach(15, async (i) => {
    const fresh = await openVault({ home });
    await fresh.vault.get('default', `conn-${i}`);
  });

  // The keychain read on its own, against the real Secret Service when one answers.
  let keychainLine = 'keychain read: no Secret Service answered in this run (file protector numbers above)';
  try {
    const keytar = createRequire(import.meta.url)('keytar') as typeof import('keytar');
    const service = `sophon-bench-${randomBytes(4).toString('hex')}`;
    await keytar.setPassword(service, 'k', randomBytes(32).toString('base64'));
    const reads = await timeEach(20, () => keytar.getPassword(service, 'k'));
    await keytar.deletePassword(service, 'k');
    keychainLine = `keychain read (keytar → Secret Service): p50 ${median(reads).toFixed(2)} ms, p99 ${pct(reads, 99).toFixed(2)} ms`;
  } catch (err) {
    keychainLine += ` (${(err as Error).message})`;
  }

  const f = (x: number) => x.toFixed(3);
  const rows: [string, string, string, string, string][] = [
    ['put (atomic, fsync)', f(median(put)), f(pct(put, 99)), f(median(barePut)), (median(put) / median(barePut)).toFixed(2)],
    ['get (key warm)', f(median(get)), f(pct(get, 99)), f(median(bareGet)), (median(get) / median(bareGet)).toFixed(2)],
    [`list (${N})`, f(median(list)), f(pct(list, 99)), '-', '-'],
    ['cold open + first get', f(median(cold)), f(pct(cold, 99)), '-', '-'],
  ];
  console.log(`\n## Vault, ${N} credentials (filled in ${(fillMs / 1000).toFixed(1)} s through put)\n`);
  console.log('| operation | p50 ms | p99 ms | baseline p50 ms | ratio |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('\nbaselines: put = bare temp+fsync+rename+folder fsync of the same bytes over an existing file in the same folder; get = bare fs.readFile + AES-256-GCM decrypt + JSON.parse');
  console.log(keychainLine);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  console.log(`\ntargets: get p50 ≤ 0.2 ms ${verdict(median(get) <= 0.2)}; get ≤ 1.5× bare ${verdict(median(get) / median(bareGet) <= 1.5)}; ` +
    `put ≤ 1.5× bare ${verdict(median(put) / median(barePut) <= 1.5)}; list ≤ 50 ms ${verdict(median(list) <= 50)}; cold open ≤ 100 ms + keychain read ${verdict(median(cold) <= 100)}`);
} finally {
  await fsp.rm(home, { recursive: true, force: true });
}
