import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { claudeAccount, claudeCredentials, cliStores, codexChatgptAuth, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';
import { filesUnder, forms } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';

describe('canary: an imported secret appears in no output, audit row, sophon.db or file under SOPHON_HOME', async () => {
  const stores = await cliStores();
  const { home, cleanup } = await tempHome();
  afterAll(async () => {
    await cleanup();
    await stores.cleanup();
  });

  test('across import, list, status, test, audit and vault commands, with and without --json', async () => {
    const claudeAccess = fakeToken('sk-ant-oat01-canary');
    const claudeRefresh = fakeToken('sk-ant-ort01-canary');
    await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: claudeAccess, refreshToken: claudeRefresh, expiresAt: Date.now() + 3600_000, subscriptionType: 'pro' }));
    await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-c', 'canary@example.com'));
    const codexRefresh = fakeToken('rt_canary');
    const codex = codexChatgptAuth({ email: 'canary@example.com', plan: 'pro', accountId: 'acct-c', exp: Math.floor(Date.now() / 1000) + 3600, refreshToken: codexRefresh });
    await writeStore(join(stores.codexHome, 'auth.json'), codex.text);
    const ghToken = fakeToken('gho_canary');
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocanary', token: ghToken } }));
    const fileKey = fakeToken('sk-canaryfile');
    await writeStore(join(stores.home, '.openai', 'credentials'), `${fileKey}\n`);
    const envGh = fakeToken('ghp_canaryenv');
    const envAnthropic = fakeToken('sk-ant-api03-canary');
    const env = { ...stores.env, GH_TOKEN: envGh, ANTHROPIC_API_KEY: envAnthropic };
    const results: CliResult[] = [];
    const run = async (args: string[]) => {
      const r = await sophon(args, { home, env });
      results.push(r);
      return r;
    };

    await run(['connect', 'import']);
    await run(['connect', 'import', '--json']);
    await run(['connect', 'import', '--from', 'gh', '--all']);
    const imported = json<{ logins: { importedAs: string | null; serviceId: string; mode: string }[] }>(await run(['connect', 'import', '--all', '--json']));
    assert.ok(imported.logins.length === 6 && imported.logins.every((l) => l.importedAs), 'all six logins imported');
    for (const json of [[], ['--json']]) {
      await run(['connect', 'import', '--dry-run', ...json]);
      await run(['connect', 'list', ...json]);
      for (const l of imported.logins) {
        await run(['connect', 'status', l.importedAs!, ...json]);
        // Only services with no network call here (the others would reach real hosts).
        if (l.serviceId === 'claude-subscription' || l.serviceId === 'codex-chatgpt') await run(['connect', 'test', l.importedAs!, ...json]);
      }
      await run(['audit', ...json]);
      await run(['vault', 'status', ...json]);
      await run(['vault', 'verify', ...json]);
      await run(['--debug', 'connect', 'test', 'nope', ...json]);
    }
    assert.ok(results.filter((r) => r.code === 0).length >= 30, 'the commands ran');

    const files = await filesUnder(home);
    assert.ok(files.some((f) => f.endsWith('sophon.db')));
    const vaultFiles = files.filter((f) => f.endsWith('.vault'));
    assert.equal(vaultFiles.length, imported.logins.filter((l) => l.mode === 'copy').length, 'only the copies (environment variables) are in the vault');
    assert.equal(vaultFiles.length, 2);
    const secrets = [claudeAccess, claudeRefresh, codex.accessToken, codexRefresh, ghToken, fileKey, envGh, envAnthropic];
    const contents = await Promise.all(files.map(async (f) => ({ f, data: await readFile(f) })));
    for (const secret of secrets) {
      for (const form of forms(secret)) {
        for (const r of results) assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), `a secret in the output of a command: ${r.stdout.slice(0, 200)}`);
        for (const { f, data } of contents) assert.ok(!data.includes(form), `a secret in ${f}`);
      }
    }
  });
});
