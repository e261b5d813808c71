import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';
import { scanClaude } from '../../../electron/core/import/sources/claude';
import { scanCodex } from '../../../electron/core/import/sources/codex';
import { scanGh } from '../../../electron/core/import/sources/gh';
import type { SourceReport } from '../../../electron/core/import/types';
import { claudeCredentials, cliStores, codexApiKeyAuth, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';

const CHILD = fileURLToPath(new URL('./scan-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Scans as a user who may not read the files: `nobody` when the tests run as root (root reads everything), else this user. */
async function scanAsOutsider(env: NodeJS.ProcessEnv): Promise<{ report: SourceReport; logins: number }[]> {
  if (process.getuid?.() !== 0) {
    const se = { env, home: env.HOME!, platform: process.platform, now: Date.now };
    return (await Promise.all([scanClaude(se), scanCodex(se), scanGh(se)])).map((r) => ({ report: r.report, logins: r.logins.length }));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, env: { ...env, PATH: process.env.PATH, TSX_DISABLE_CACHE: '1' }, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { report: SourceReport; logins: number }[]) : reject(new Error(`scan child failed (${code}): ${err}`))));
  });
}

describe('stores that cannot be read', () => {
  test('permission denied on each store is a per-source message naming the file', async () => {
    const stores = await cliStores();
    try {
      await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() + 3600_000 }), 0o600);
      await writeStore(join(stores.codexHome, 'auth.json'), codexApiKeyAuth(fakeToken('sk-')), 0o000);
      await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: fakeToken('gho_') } }), 0o600);
      // The folders are open to others; only the files are private (as the CLIs write them).
      for (const dir of [stores.root, stores.home, stores.claudeDir, stores.codexHome, join(stores.home, '.config'), stores.ghDir]) await chmod(dir, 0o755);
      if (process.getuid?.() !== 0) for (const f of [join(stores.claudeDir, '.credentials.json'), join(stores.ghDir, 'hosts.yml')]) await chmod(f, 0o000);
      const results = await scanAsOutsider(stores.env);
      const [claude, codex, gh] = results;
      assert.equal(claude!.report.status, 'error');
      assert.equal(claude!.report.messages[0], `Claude Code's credentials file ${join(stores.claudeDir, '.credentials.json')} cannot be read: permission denied.`);
      assert.equal(codex!.report.messages[0], `Codex's auth.json ${join(stores.codexHome, 'auth.json')} cannot be read: permission denied.`);
      assert.equal(gh!.report.messages[0], `gh's hosts.yml ${join(stores.ghDir, 'hosts.yml')} cannot be read: permission denied.`);
      assert.deepEqual(results.map((r) => r.logins), [0, 0, 0]);
    } finally {
      await stores.cleanup();
    }
  });

  test('a folder where a credentials file should be, and an oversized file, are refused by name', async () => {
    const stores = await cliStores();
    try {
      await writeStore(join(stores.claudeDir, '.credentials.json', 'x'), 'x');
      await writeStore(join(stores.codexHome, 'auth.json'), `{"OPENAI_API_KEY": "${'k'.repeat(2 * 1024 * 1024)}"}`);
      const se = { env: stores.env, home: stores.home, platform: process.platform, now: Date.now };
      assert.match((await scanClaude(se)).report.messages[0]!, /\.credentials\.json is a folder, not a file/);
      assert.match((await scanCodex(se)).report.messages[0]!, /auth\.json is larger than 1 MiB/);
    } finally {
      await stores.cleanup();
    }
  });
});
