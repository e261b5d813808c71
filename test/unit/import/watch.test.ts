import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { watchImportedStores } from '../../../electron/core/import/watch';
import { createCore } from '../../../electron/core/sophon-core';
import { claudeCredentials, cliStores, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('watching the stores of linked connections (desktop app)', () => {
  test('a store rewritten by its CLI updates the connection without any call: expired → needs_reauth, refreshed → active, gh logout → needs_reauth', async () => {
    const stores = await cliStores();
    const { home, cleanup } = await tempHome();
    const creds = join(stores.claudeDir, '.credentials.json');
    await writeStore(creds, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() + 3600_000 }));
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: fakeToken('gho_') } }));
    const core = await createCore({ home, env: stores.env });
    const stop = await (async () => {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['claude', 'gh']);
      await imports.import('default', scan, scan.logins.map((l) => l.key));
      return watchImportedStores(core, { debounceMs: 50 });
    })();
    try {
      const state = async (serviceId: string) => (await core.connections.list('default')).find((c) => c.serviceId === serviceId)!;
      assert.equal((await state('claude-subscription')).state, 'active');
      const lastUse = (await state('claude-subscription')).lastUsedAt;

      await writeStore(creds, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() - 1000 }));
      await until('needs_reauth after expiry', async () => (await state('claude-subscription')).state === 'needs_reauth');
      assert.match((await state('claude-subscription')).stateReason ?? '', /run `claude` to refresh/);

      const expiresAt = Date.now() + 8 * 3600_000;
      await writeStore(creds, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt }));
      await until('active after the CLI refreshed', async () => (await state('claude-subscription')).state === 'active');
      assert.equal((await state('claude-subscription')).expiresAt, new Date(expiresAt).toISOString(), 'the new expiry is shown');
      assert.equal((await state('claude-subscription')).lastUsedAt, lastUse, 'a check is not a use');

      await writeStore(join(stores.ghDir, 'hosts.yml'), '');
      await until('gh logout noticed', async () => (await state('github-pat')).state === 'needs_reauth');
      assert.equal((await state('github-pat')).stateReason, 'gh logged out of github.com.');
      const audit = core.audit.query({ userId: 'default', action: 'use' });
      assert.ok(audit.some((r) => r.outcome === 'failed' && /linked check: needs re-auth: gh logged out/.test(r.detail ?? '')));
      assert.ok(audit.some((r) => r.outcome === 'ok' && r.detail === 'linked check: usable again'));
    } finally {
      stop();
      core.close();
      await cleanup();
      await stores.cleanup();
    }
  });
});
