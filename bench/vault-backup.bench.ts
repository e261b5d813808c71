// Backup and restore of 10,000 credentials: each step's time, with the passphrase derivation
// (Argon2id at the parameters a backup is written with) timed on its own, so what is the KDF's
// deliberate cost and what is Sophon's own work show apart.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBackup } from '../electron/core/backup/backup';
import { DEFAULT_KDF, deriveBackupKey, sealBackup } from '../electron/core/backup/backup-format';
import { openCoreInternals } from '../test/helpers/internals';
import { encryptVaultFile } from '../electron/core/vault/format';

const N = Number(process.env.BENCH_N ?? 10_000);
const PASS = 'bench-backup-passphrase';

async function home(prefix: string): Promise<string> {
  const dir = await fsp.mkdtemp(join(tmpdir(), prefix));
  await fsp.mkdir(join(dir, 'config'));
  await fsp.writeFile(join(dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
  return dir;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

const sourceHome = await home('sophon-bench-backup-src-');
const targetHome = await home('sophon-bench-backup-dst-');
try {
  // The source: N rows and their sealed files, written directly (setup, not measured).
  let core = await openCoreInternals({ home: sourceHome });
  const key = await core.keys.get();
  await fsp.mkdir(core.paths.vaultDir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  core.store.transaction(() => {
    for (let i = 0; i < N; i++) {
      core.store.insertRecovered({ id: `conn-${i}`, userId: 'default', serviceId: 'github', label: `Conn ${i}`, authMethod: 'oauth2', scopes: ['repo'], fields: {}, secretHint: null, account: `user${i}`, expiresAt: now + 3_600_000, createdAt: now, vaultGeneration: 1 }, now);
    }
  });
  for (let i = 0; i < N; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, N - i) }, (_, j) => {
        const id = `conn-${i + j}`;
        const meta = { generation: 1, serviceId: 'github', label: `Conn ${i + j}`, authMethod: 'oauth2', fields: {}, scopes: ['repo'], createdAt: now, secretHint: null, account: `user${i + j}` };
        const body = { accessToken: `at-${randomBytes(24).toString('hex')}`, refreshToken: `rt-${randomBytes(24).toString('hex')}`, expiresAt: now + 3_600_000, scopes: ['repo'], extra: {}, meta };
        return fsp.writeFile(join(core.paths.vaultDir, `default_${id}.vault`), encryptVaultFile(key, 'default', id, Buffer.from(JSON.stringify(body))), { mode: 0o600 });
      }),
    );
  }
  core.close();

  const kdf: number[] = [];
  for (let i = 0; i < 3; i++) kdf.push((await timed(() => deriveBackupKey(PASS, randomBytes(16), DEFAULT_KDF)))[1]);
  const kdfMs = [...kdf].sort((a, b) => a - b)[1]!;

  core = await openCoreInternals({ home: sourceHome });
  const [body, collectMs] = await timed(() => core.backup.collect());
  core.close();
  const json = Buffer.from(JSON.stringify(body));
  const [sealed, sealMs] = await timed(() => sealBackup(PASS, json));
  const file = join(sourceHome, 'bench.sophon-backup');
  await fsp.writeFile(file, sealed, { mode: 0o600 });

  const [read, readMs] = await timed(() => readBackup(file, PASS));
  core = await openCoreInternals({ home: targetHome });
  const [plan, planMs] = await timed(() => core.backup.plan(read, 'merge'));
  const [, applyMs] = await timed(() => core.backup.apply(read, plan));
  const restored = core.store.count();
  core.close();
  if (restored !== N) throw new Error(`restored ${restored} of ${N}`);
  core = await openCoreInternals({ home: targetHome });
  const [verify, verifyMs] = await timed(() => core.verifyVault());
  core.close();
  if (verify.ok !== N) throw new Error(`verify: ${verify.ok} of ${N} open`);

  const rows: [string, number][] = [
    [`Argon2id derivation alone (m=${DEFAULT_KDF.memoryKiB / 1024} MiB, t=${DEFAULT_KDF.passes}, p=${DEFAULT_KDF.lanes}; median of 3)`, kdfMs],
    [`backup: read ${N} credentials (sophon.db + vault)`, collectMs],
    ['backup: derive + encrypt the file', sealMs],
    ['backup: total', collectMs + sealMs],
    ['restore: derive + decrypt + check the file', readMs],
    ['restore: plan (conflicts, labels)', planMs],
    [`restore: seal ${N} files under this key, one transaction, renames`, applyMs],
    ['restore: total', readMs + planMs + applyMs],
    ['(check) vault verify of the restored home', verifyMs],
  ];
  const width = Math.max(...rows.map(([l]) => l.length));
  console.log(`vault backup/restore, ${N} credentials, backup file ${(sealed.length / 1024 / 1024).toFixed(2)} MiB\n`);
  console.log(`${'step'.padEnd(width)}  ${'ms'.padStart(10)}`);
  for (const [label, ms] of rows) console.log(`${label.padEnd(width)}  ${ms.toFixed(1).padStart(10)}`);
  console.log(`\nrestore without the derivation: ${(readMs + planMs + applyMs - kdfMs).toFixed(1)} ms; backup without it: ${(collectMs + sealMs - kdfMs).toFixed(1)} ms`);
} finally {
  await Promise.all([sourceHome, targetHome].map((d) => fsp.rm(d, { recursive: true, force: true })));
}
