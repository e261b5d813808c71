import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { proxyRefusal } from '../../../electron/core/import/broker-policy';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { isSophonError } from '../../../electron/core/errors';
import { claudeAccount, claudeCredentials, cliStores, codexApiKeyAuth, codexChatgptAuth, countingTokenEndpoint, fakeToken, writeStore, type CliStores } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';

const HOUR = 3600_000;

async function open(stores: CliStores, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ core: CoreWithInternals; home: string; cleanup: () => Promise<void> }> {
  const { home, cleanup } = await tempHome();
  const core = await openCoreInternals({ home, env: { ...stores.env, ...extraEnv } });
  return { core, home, cleanup: async () => (core.close(), await cleanup()) };
}

async function authFailure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isSophonError(err, 'auth_failed'), `expected auth_failed, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected the call to fail');
}

describe('importing Claude Code and Codex logins (linked, never refreshed)', () => {
  let stores: CliStores;
  let endpoint: Awaited<ReturnType<typeof countingTokenEndpoint>>;
  beforeAll(async () => {
    endpoint = await countingTokenEndpoint();
  });
  afterAll(async () => {
    // Codex reads CODEX_REFRESH_TOKEN_URL_OVERRIDE; every test points it here: a refresh would be counted.
    assert.equal(endpoint.hits(), 0, 'no token endpoint was ever called');
    await endpoint.close();
  });

  test('a Claude login is found with plan, account, scopes and expiry, imported linked (no vault file), and its token is re-read after Claude Code rewrites the file', async () => {
    stores = await cliStores();
    const first = fakeToken('sk-ant-oat01-');
    const refresh = fakeToken('sk-ant-ort01-');
    await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: first, refreshToken: refresh, expiresAt: Date.now() + 8 * HOUR, scopes: ['user:inference', 'user:profile'], subscriptionType: 'max' }));
    await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-1', 'ada@example.com'), 0o644);
    const { core, home, cleanup } = await open(stores, { CODEX_REFRESH_TOKEN_URL_OVERRIDE: endpoint.url });
    try {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['claude']);
      assert.equal(scan.sources[0]!.status, 'ok');
      assert.deepEqual(scan.sources[0]!.messages, []);
      const login = scan.logins[0]!;
      assert.equal(scan.logins.length, 1);
      assert.equal(login.serviceId, 'claude-subscription');
      assert.equal(login.account, 'ada@example.com');
      assert.equal(login.plan, 'max');
      assert.deepEqual(login.scopes, ['user:inference', 'user:profile']);
      assert.equal(login.expired, false);
      assert.equal(login.mode, 'linked');
      assert.match(login.brokerPolicy ?? '', /only in Claude Code/);
      assert.equal(login.importedAs, null);
      assert.ok(!JSON.stringify(scan.logins).includes(first));

      const result = await imports.import('default', scan, [login.key]);
      assert.equal(result.imported.length, 1);
      const id = result.imported[0]!.connectionId;
      assert.deepEqual(await core.vault.list(), [], 'a linked import puts nothing in the vault');

      const conn = await core.connections.status('default', id);
      assert.equal(conn.state, 'active');
      assert.equal(conn.account, 'ada@example.com');
      assert.equal(conn.fields.importMode, 'linked');
      assert.equal(conn.fields.importKey, login.key);
      assert.equal(conn.secretHint, null);
      assert.match(proxyRefusal(conn) ?? '', /Claude Code/, 'the broker policy refuses this connection');

      assert.equal(await core.connections.accessToken('default', id), first);
      const second = fakeToken('sk-ant-oat01-');
      await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: second, refreshToken: fakeToken('sk-ant-ort01-'), expiresAt: Date.now() + 8 * HOUR, scopes: ['user:inference'], subscriptionType: 'max' }));
      assert.equal(await core.connections.accessToken('default', id), second, 'the rewritten file is read again');

      // connect test: no call is made with a subscription login; it is read (and its expiry checked).
      const tested = await core.connections.test('default', id);
      assert.equal(tested.outcome.status, 'untestable');

      const again = await imports.scan('default', ['claude']);
      assert.equal(again.logins[0]!.importedAs, id);
      assert.deepEqual((await imports.import('default', again, [login.key])).imported, [], 'imported once only');
      assert.equal((await core.connections.list('default')).length, 1);

      const audit = core.audit.query({ userId: 'default' });
      assert.ok(audit.some((r) => r.action === 'import' && r.connectionId === id && r.outcome === 'ok'));
      assert.ok(audit.filter((r) => r.action === 'use' && r.connectionId === id && r.outcome === 'ok').length >= 3);
      const db = await readFile(join(home, 'sophon.db')).catch(() => Buffer.alloc(0));
      const wal = await readFile(join(home, 'sophon.db-wal')).catch(() => Buffer.alloc(0));
      for (const secret of [first, second, refresh]) {
        assert.ok(!JSON.stringify(audit).includes(secret));
        assert.ok(!db.includes(secret) && !wal.includes(secret), 'not in sophon.db');
      }
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('an expired Claude login is never refreshed: the call fails saying to run `claude`, the connection needs re-auth, and a fresh file makes it active again', async () => {
    stores = await cliStores();
    const refresh = fakeToken('sk-ant-ort01-');
    await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), refreshToken: refresh, expiresAt: Date.now() - HOUR, subscriptionType: 'pro' }));
    const { core, cleanup } = await open(stores, { CODEX_REFRESH_TOKEN_URL_OVERRIDE: endpoint.url });
    try {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['claude']);
      assert.equal(scan.logins[0]!.expired, true);
      assert.equal(scan.logins[0]!.account, null, 'no ~/.claude.json: account unknown');
      const id = (await imports.import('default', scan, [scan.logins[0]!.key])).imported[0]!.connectionId;
      const message = await authFailure(core.connections.accessToken('default', id, { waitMs: 0 }));
      assert.match(message, /run `claude` to refresh, or connect with an API key/);
      const status = await core.connections.status('default', id);
      assert.equal(status.state, 'needs_reauth');
      assert.match(status.stateReason ?? '', /expired .*run `claude` to refresh/);
      const tested = await core.connections.test('default', id);
      assert.equal(tested.outcome.status, 'rejected');
      assert.equal(tested.connection.state, 'needs_reauth');

      // "claude" refreshes on its own; Sophon just reads the new file.
      const fresh = fakeToken('sk-ant-oat01-');
      await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: fresh, refreshToken: fakeToken('sk-ant-ort01-'), expiresAt: Date.now() + HOUR, subscriptionType: 'pro' }));
      assert.equal(await core.connections.accessToken('default', id, { waitMs: 0 }), fresh);
      assert.equal((await core.connections.status('default', id)).state, 'active');
      assert.ok(core.audit.query({ userId: 'default' }).some((r) => r.action === 'use' && r.outcome === 'failed' && /expired/.test(r.detail ?? '')));
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('a call waiting on an expired Claude login completes when Claude Code rewrites the file meanwhile', async () => {
    stores = await cliStores();
    const creds = join(stores.claudeDir, '.credentials.json');
    await writeStore(creds, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() - HOUR }));
    const { core, cleanup } = await open(stores);
    try {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['claude']);
      const id = (await imports.import('default', scan, [scan.logins[0]!.key])).imported[0]!.connectionId;
      const fresh = fakeToken('sk-ant-oat01-');
      const waiting = core.connections.accessToken('default', id, { waitMs: 5000, pollMs: 50 });
      setTimeout(() => void writeStore(creds, claudeCredentials({ accessToken: fresh, expiresAt: Date.now() + HOUR })), 200);
      assert.equal(await waiting, fresh);
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('logging out of Claude Code, or logging in as someone else, flips the connection to needs_reauth with the reason', async () => {
    stores = await cliStores();
    const creds = join(stores.claudeDir, '.credentials.json');
    await writeStore(creds, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() + HOUR }));
    await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-1', 'ada@example.com'));
    const { core, cleanup } = await open(stores);
    try {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['claude']);
      const id = (await imports.import('default', scan, [scan.logins[0]!.key])).imported[0]!.connectionId;
      await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-2', 'bob@example.com'));
      assert.match(await authFailure(core.connections.accessToken('default', id, { waitMs: 0 })), /now logged in as bob@example\.com/);
      await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-1', 'ada@example.com'));
      await core.connections.accessToken('default', id, { waitMs: 0 });
      await rm(creds);
      // The next look (import, or the app's start-up look) notices without a call.
      const rescan = await imports.scan('default', ['claude']);
      assert.equal(rescan.logins.length, 0);
      const status = await core.connections.status('default', id);
      assert.equal(status.state, 'needs_reauth');
      assert.match(status.stateReason ?? '', /Claude Code logged out/);
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('malformed stores: garbage, missing fields and wrong types are each a clear per-source message that never quotes the file; the other sources still import', async () => {
    stores = await cliStores();
    const secretInGarbage = fakeToken('sk-ant-oat01-');
    await writeStore(join(stores.claudeDir, '.credentials.json'), `{"claudeAiOauth": {"accessToken": "${secretInGarbage}", `);
    const apiKey = fakeToken('sk-proj-');
    await writeStore(join(stores.codexHome, 'auth.json'), codexApiKeyAuth(apiKey), 0o644);
    const { core, cleanup } = await open(stores);
    try {
      const imports = await core.imports();
      let scan = await imports.scan('default', ['claude', 'codex']);
      const claude = scan.sources.find((s) => s.source === 'claude')!;
      assert.equal(claude.status, 'error');
      assert.match(claude.messages.join(' '), /not valid JSON/);
      assert.ok(!JSON.stringify(scan).includes(secretInGarbage));
      const codex = scan.sources.find((s) => s.source === 'codex')!;
      assert.equal(codex.status, 'ok');
      assert.match(codex.messages.join(' '), /can be read by other users \(mode 644\).*chmod 600/, 'a world-readable credentials file is warned about');
      const result = await imports.import('default', scan, scan.logins.map((l) => l.key));
      assert.equal(result.imported.length, 1);
      const conn = await core.connections.status('default', result.imported[0]!.connectionId);
      assert.equal(conn.serviceId, 'openai');
      assert.equal(await core.connections.accessToken('default', conn.id), apiKey);

      await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ refreshToken: 'x', expiresAt: 'tomorrow' }));
      scan = await imports.scan('default', ['claude']);
      assert.equal(scan.sources[0]!.status, 'error');
      assert.match(scan.sources[0]!.messages[0]!, /not in the expected shape \(claudeAiOauth\.accessToken, claudeAiOauth\.expiresAt\)/);
      await writeStore(join(stores.claudeDir, '.credentials.json'), JSON.stringify({ mcpOAuth: {} }));
      scan = await imports.scan('default', ['claude']);
      assert.equal(scan.sources[0]!.status, 'ok');
      assert.match(scan.sources[0]!.messages[0]!, /holds no Claude\.ai login/);
      await writeStore(join(stores.codexHome, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: 42 }));
      scan = await imports.scan('default', ['codex']);
      assert.match(scan.sources[0]!.messages[0]!, /not in the expected shape \(OPENAI_API_KEY\)/);
      assert.ok(core.audit.query({ userId: 'default' }).some((r) => r.action === 'import' && r.outcome === 'failed' && /not in the expected shape/.test(r.detail ?? '')));
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('Codex: a ChatGPT login shows email, plan and the access token\'s expiry; expired says to run `codex`; a rewritten auth.json is used; no refresh is ever sent', async () => {
    stores = await cliStores();
    const refresh = fakeToken('rt_');
    const auth = codexChatgptAuth({ email: 'ada@example.com', plan: 'plus', accountId: 'acct-7', exp: Math.floor(Date.now() / 1000) + 3600, refreshToken: refresh });
    await writeStore(join(stores.codexHome, 'auth.json'), auth.text);
    const { core, home, cleanup } = await open(stores, { CODEX_REFRESH_TOKEN_URL_OVERRIDE: endpoint.url });
    try {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['codex']);
      const login = scan.logins[0]!;
      assert.equal(scan.logins.length, 1);
      assert.equal(login.serviceId, 'codex-chatgpt');
      assert.equal(login.account, 'ada@example.com');
      assert.equal(login.plan, 'plus');
      assert.ok(login.expiresAt && Math.abs(Date.parse(login.expiresAt) - (Date.now() + 3600_000)) < 5000);
      assert.equal(login.brokerPolicy, null);
      const id = (await imports.import('default', scan, [login.key])).imported[0]!.connectionId;
      assert.equal(await core.connections.accessToken('default', id), auth.accessToken);

      const expired = codexChatgptAuth({ email: 'ada@example.com', plan: 'plus', accountId: 'acct-7', exp: Math.floor(Date.now() / 1000) - 60, refreshToken: refresh });
      await writeStore(join(stores.codexHome, 'auth.json'), expired.text);
      assert.match(await authFailure(core.connections.accessToken('default', id, { waitMs: 0 })), /run `codex` to refresh, or connect with an API key/);
      assert.equal((await core.connections.status('default', id)).state, 'needs_reauth');

      const renewed = codexChatgptAuth({ email: 'ada@example.com', plan: 'plus', accountId: 'acct-7', exp: Math.floor(Date.now() / 1000) + 3600, refreshToken: fakeToken('rt_') });
      await writeStore(join(stores.codexHome, 'auth.json'), renewed.text);
      assert.equal(await core.connections.accessToken('default', id, { waitMs: 0 }), renewed.accessToken);
      assert.equal((await core.connections.status('default', id)).state, 'active');

      const other = codexChatgptAuth({ email: 'bob@example.com', plan: 'pro', accountId: 'acct-9', exp: Math.floor(Date.now() / 1000) + 3600, refreshToken: fakeToken('rt_') });
      await writeStore(join(stores.codexHome, 'auth.json'), other.text);
      assert.match(await authFailure(core.connections.accessToken('default', id, { waitMs: 0 })), /Codex is now logged in as bob@example\.com/);

      assert.equal(endpoint.hits(), 0);
      const files = await readdir(home, { recursive: true });
      for (const f of files) {
        const data = await readFile(join(home, f)).catch(() => null);
        if (!data) continue;
        for (const secret of [auth.accessToken, renewed.accessToken, refresh]) assert.ok(!data.includes(secret), `${f} holds no token`);
      }
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('CLAUDE_CONFIG_DIR moves the login and the account file; the linked connection keeps reading there from a process without the variable', async () => {
    stores = await cliStores();
    const custom = join(stores.root, 'claude-work');
    const token = fakeToken('sk-ant-oat01-');
    await writeStore(join(custom, '.credentials.json'), claudeCredentials({ accessToken: token, expiresAt: Date.now() + HOUR, subscriptionType: 'pro' }));
    await writeStore(join(custom, '.claude.json'), claudeAccount('acc-w', 'work@example.com'));
    await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-h', 'home@example.com'));
    const { home, cleanup } = await tempHome();
    try {
      const withVar = await openCoreInternals({ home, env: { ...stores.env, CLAUDE_CONFIG_DIR: custom } });
      const imports = await withVar.imports();
      const scan = await imports.scan('default', ['claude']);
      assert.equal(scan.logins[0]!.account, 'work@example.com');
      assert.equal(scan.logins[0]!.key, `claude:${custom}:acc-w`);
      await imports.import('default', scan, [scan.logins[0]!.key]);
      withVar.close();
      const without = await openCoreInternals({ home, env: stores.env });
      try {
        const [conn] = await without.connections.list('default');
        assert.equal(await without.connections.accessToken('default', conn!.id), token);
        assert.equal((await (await without.imports()).scan('default', ['claude'])).sources[0]!.status, 'missing', 'nothing in the default folder');
        assert.equal((await without.connections.status('default', conn!.id)).state, 'active');
      } finally {
        without.close();
      }
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });

  test('~/.openai/credentials is read when it holds a key and reported as unrecognised otherwise; environment keys are a separate, copied source', async () => {
    stores = await cliStores();
    const fileKey = fakeToken('sk-');
    await writeStore(join(stores.home, '.openai', 'credentials'), `# mine\nOPENAI_API_KEY = "${fileKey}"\n`);
    const envKey = fakeToken('sk-ant-api03-');
    const { core, cleanup } = await open(stores, { ANTHROPIC_API_KEY: envKey });
    try {
      const imports = await core.imports();
      let scan = await imports.scan('default', ['openai-file', 'env']);
      const keys = scan.logins.map((l) => [l.source, l.serviceId, l.mode]);
      assert.deepEqual(keys, [['openai-file', 'openai', 'linked'], ['env', 'anthropic', 'copy']]);
      assert.equal(scan.logins[1]!.store, '$ANTHROPIC_API_KEY');
      const result = await imports.import('default', scan, scan.logins.map((l) => l.key));
      const byService = new Map(await Promise.all(result.imported.map(async (i) => [(await core.connections.status('default', i.connectionId)).serviceId, i.connectionId] as const)));
      assert.equal(await core.connections.accessToken('default', byService.get('openai')!), fileKey);
      const copied = await core.vault.get('default', byService.get('anthropic')!);
      assert.equal(copied?.apiKey, envKey, 'an environment key is copied into the vault');
      assert.equal((await core.connections.status('default', byService.get('anthropic')!)).label, '$ANTHROPIC_API_KEY');

      await writeFile(join(stores.home, '.openai', 'credentials'), '[default]\nsomething = else\n');
      scan = await imports.scan('default', ['openai-file']);
      assert.equal(scan.sources[0]!.status, 'error');
      assert.match(scan.sources[0]!.messages.join(' '), /not in a recognised format/);
      assert.equal((await core.connections.status('default', byService.get('openai')!)).state, 'needs_reauth');
    } finally {
      await cleanup();
      await stores.cleanup();
    }
  });
});
