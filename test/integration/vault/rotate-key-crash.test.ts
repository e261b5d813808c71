import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { sophonPaths } from '../../../electron/core/config/paths';
import { readKeyId } from '../../../electron/core/vault/format';
import { openVault } from '../../../electron/core/vault/open-vault';
import { SystemSecrets } from '../../../electron/core/vault/system-secrets';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs';

// kill -9 of `sophon vault rotate-key` at random points, each followed by a full read of the vault by a
// fresh process's vault (the real reader path). A kill is not a power cut: the page cache survives it, so
// the home is on a tmpfs of its own, where fsync costs nothing, to fit many runs in the time.
// 100 kills x 1,000 credentials is the size and takes minutes on a shared 2-core machine, so by
// default the kills stop after a time budget (at least MIN_RUNS of them); SOPHON_ROTATE_CRASH_RUNS,
// SOPHON_ROTATE_CRASH_BUDGET_MS and SOPHON_ROTATE_CRASH_CREDENTIALS set the size.
const RUNS = Number(process.env.SOPHON_ROTATE_CRASH_RUNS ?? 100);
const BUDGET_MS = Number(process.env.SOPHON_ROTATE_CRASH_BUDGET_MS ?? 25_000);
const MIN_RUNS = Math.min(RUNS, 10);
const CREDENTIALS = Number(process.env.SOPHON_ROTATE_CRASH_CREDENTIALS ?? 1000);
const SYSTEM = ['oauth-client-github', 'oauth-client-google'];
const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

function rotateChild(home: string): { kill: () => void; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const proc = spawn(process.execPath, [BIN, 'vault', 'rotate-key', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    kill: () => proc.kill('SIGKILL'),
    done: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stderr }))),
  };
}

/** Every credential and system secret opens, with its own value, through a freshly opened vault. */
async function assertAllReadable(home: string, context: string): Promise<void> {
  const { vault, keys, paths } = await openVault({ home });
  for (let i = 0; i < CREDENTIALS; i++) {
    const c = await vault.get('default', `c-${i}`).catch((err: unknown) => assert.fail(`${context}: c-${i} does not open: ${(err as Error).message}`));
    assert.equal(c?.apiKey, `v-${i}`, `${context}: c-${i}`);
  }
  const system = new SystemSecrets(paths, (id) => keys.keyFor(id));
  for (const name of SYSTEM) assert.equal(await system.get(name), `secret-${name}`, `${context}: ${name}`);
}

describe(`kill -9 during vault rotate-key (up to ${RUNS} kills, ${CREDENTIALS} credentials)`, () => {
  let fs: Tmpfs;
  let home = '';
  beforeAll(async () => {
    fs = await mountTmpfs(64 * 1024);
    home = join(fs.dir, 'home');
    await mkdir(join(home, 'config'), { recursive: true });
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
    const { vault, keys, paths } = await openVault({ home });
    for (let i = 0; i < CREDENTIALS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, CREDENTIALS - i) }, (_, j) => vault.put('default', `c-${i + j}`, { apiKey: `v-${i + j}` })));
    }
    const system = new SystemSecrets(paths, (id) => keys.keyFor(id));
    for (const name of SYSTEM) await system.put(name, `secret-${name}`);
  });
  afterAll(async () => {
    await fs?.cleanup();
  });

  test('every credential opens after every kill, and a last run finishes the rotation and retires the old key', async () => {
    const started = Date.now();
    // One uninterrupted run: how long a whole rotation takes here, to spread the kills over it.
    const t0 = Date.now();
    const full = await rotateChild(home).done;
    assert.equal(full.code, 0, full.stderr);
    const fullMs = Date.now() - t0;
    const phases: Record<string, number> = {};
    const killsStarted = Date.now();
    let runs = 0;
    for (let run = 0; run < RUNS && (run < MIN_RUNS || Date.now() - killsStarted < BUDGET_MS); run++) {
      runs++;
      const child = rotateChild(home);
      const delay = Math.random() * fullMs;
      const timer = setTimeout(child.kill, delay);
      const end = await child.done;
      clearTimeout(timer);
      if (end.signal === null) assert.equal(end.code, 0, `run ${run} failed: ${end.stderr}`);
      const journal = await readFile(join(home, 'security', 'rotation.json'), 'utf8').then((t) => (JSON.parse(t) as { phase: string }).phase, () => 'none');
      const at = end.signal === null ? 'finished' : journal;
      phases[at] = (phases[at] ?? 0) + 1;
      await assertAllReadable(home, `after run ${run} (killed after ${Math.round(delay)} ms, ${at})`);
    }
    // The kills must have landed inside rotations, not only before or after them.
    assert.ok((phases.rewrap ?? 0) + (phases.commit ?? 0) + (phases.prepare ?? 0) > 0, `no kill interrupted a rotation: ${JSON.stringify(phases)}`);

    const last = rotateChild(home);
    const end = await last.done;
    assert.equal(end.code, 0, end.stderr);
    await assertAllReadable(home, 'after the last run');

    const paths = sophonPaths(home);
    const info = JSON.parse(await readFile(paths.keyInfoFile, 'utf8')) as { keyId: string; previousKeyId: string };
    // Every file is sealed with the final key, and the key file holds that key only: the old one is gone.
    for (const dir of [paths.vaultDir, join(paths.vaultDir, 'system')]) {
      for (const name of (await readdir(dir)).filter((n) => n.endsWith('.vault'))) {
        assert.equal(readKeyId(await readFile(join(dir, name))), info.keyId, name);
      }
    }
    const keyFile = JSON.parse(await readFile(paths.keyFile, 'utf8')) as { keyId: string };
    assert.equal(keyFile.keyId, info.keyId);
    assert.notEqual(info.previousKeyId, info.keyId);
    const security = await readdir(paths.securityDir);
    assert.ok(!security.includes('rotation.json') && !security.includes('next-key') && !security.includes('rotation.lock'), security.join(', '));
    const leftovers = (await readdir(paths.vaultDir)).filter((n) => !n.endsWith('.vault') && n !== 'system');
    assert.deepEqual(leftovers, []);
    assert.ok(runs >= MIN_RUNS);
    process.stdout.write(`# rotate-key crash: ${runs} kills x ${CREDENTIALS} credentials in ${((Date.now() - started) / 1000).toFixed(1)} s; a whole rotation took ${fullMs} ms; interrupted at ${JSON.stringify(phases)}\n`);
  });
});
