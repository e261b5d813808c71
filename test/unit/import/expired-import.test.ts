import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { claudeCredentials, cliStores, codexChatgptAuth, fakeToken, writeStore, type CliStores } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';

const HOUR = 3600_000;

async function withCore(stores: CliStores, fn: (core: CoreWithInternals) => Promise<void>): Promise<void> {
  const { home, cleanup } = await tempHome();
  const core = await openCoreInternals({ home, env: stores.env });
  try {
    await fn(core);
  } finally {
    core.close();
    await cleanup();
    await stores.cleanup();
  }
}

/** Imports every login of one source and returns the connection rows exactly as stored, before anything re-checks them. */
async function importAll(core: CoreWithInternals, source: 'claude' | 'codex') {
  const imports = await core.imports();
  const scan = await imports.scan('default', [source]);
  const result = await imports.import('default', scan, scan.logins.map((l) => l.key));
  return result.imported.map((i) => core.store.get(i.connectionId)!);
}

describe('importing a login that has already expired', () => {
  test('Claude Code: needs_reauth from the start, with the reason and the fix; the import audit row says so', async () => {
    const stores = await cliStores();
    const expiresAt = Date.now() - HOUR;
    await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), refreshToken: fakeToken('sk-ant-ort01-'), expiresAt, subscriptionType: 'pro' }));
    await withCore(stores, async (core) => {
      const [record] = await importAll(core, 'claude');
      assert.equal(record!.state, 'needs_reauth');
      assert.equal(record!.stateReason, `The Claude Code login expired at ${new Date(expiresAt).toISOString()}: run \`claude\` to refresh, or connect with an API key.`);
      const row = core.audit.query({ userId: 'default', connectionId: record!.id }).find((r) => r.action === 'import');
      assert.match(row?.detail ?? '', /needs re-auth: The Claude Code login expired at/);
      const status = await core.connections.status('default', record!.id);
      assert.equal(status.state, 'needs_reauth');
    });
  });

  test('Codex: an expired ChatGPT login is needs_reauth from the start; a valid one is active', async () => {
    const stores = await cliStores();
    const exp = Math.floor(Date.now() / 1000) - 60;
    await writeStore(join(stores.codexHome, 'auth.json'), codexChatgptAuth({ email: 'ada@example.com', plan: 'plus', accountId: 'acct-7', exp, refreshToken: fakeToken('rt_') }).text);
    await withCore(stores, async (core) => {
      const [record] = await importAll(core, 'codex');
      assert.equal(record!.state, 'needs_reauth');
      assert.equal(record!.stateReason, `The Codex ChatGPT login expired at ${new Date(exp * 1000).toISOString()}: run \`codex\` to refresh, or connect with an API key.`);
    });

    const fresh = await cliStores();
    await writeStore(join(fresh.codexHome, 'auth.json'), codexChatgptAuth({ email: 'ada@example.com', plan: 'plus', accountId: 'acct-7', exp: Math.floor(Date.now() / 1000) + 3600, refreshToken: fakeToken('rt_') }).text);
    await withCore(fresh, async (core) => {
      const [record] = await importAll(core, 'codex');
      assert.deepEqual([record!.state, record!.stateReason], ['active', null]);
    });
  });
});
