// credentials/ against real parts: oidc-provider for the OAuth connection (signed in in Chromium), two
// cores on one SOPHON_HOME for the cross-process refresh lock, and the real gh binary for a linked login.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { REFRESH_MARGIN_MS } from '../../../electron/core/credentials';
import { isSophonError } from '../../../electron/core/errors';
import { createOAuthClient } from '../../../electron/core/oauth/client';
import { revokeTokens } from '../../../electron/core/oauth/revoke';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { cliStores, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { browserOpener } from '../oauth/drive';

const USER = 'default';

describe('credentials.resolve: the one credential path (oidc-provider, two processes\u2019 cores, a linked gh login)', async () => {
  let server: TestOidcServer;
  let browser: Browser;
  let core: CoreWithInternals;
  let other: CoreWithInternals;
  const { home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } });
  let id = '';

  async function signIn<T>(run: (openUrl: (url: string) => Promise<void>) => Promise<T>): Promise<T> {
    const { context, page } = await freshPage(browser);
    try {
      const opener = browserOpener(page, { login: 'ada' });
      const out = await run(opener.openUrl);
      await opener.done;
      return out;
    } finally {
      await context.close();
    }
  }

  const resolve = (c: CoreWithInternals, waitForReauth?: { waitMs: number; pollMs: number }) =>
    c.credentials.resolve({ userId: USER, connection: c.connections.resolve(USER, id), purpose: 'proxy', waitForReauth });

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 600 });
    browser = await launchBrowser();
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify({ ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] }));
    core = await openCoreInternals({ home });
    // A second core on the same home: another Sophon process (the CLI next to the app) as far as the vault and sophon.db go.
    other = await openCoreInternals({ home });
    id = (await signIn((openUrl) => core.connections.add(USER, { serviceId: 'oidc', oauth: { openUrl } }))).connection.id;
  });
  afterAll(async () => {
    core?.close();
    other?.close();
    await browser?.close();
    await server?.close();
    await cleanup();
  });

  test('a fresh token is returned as stored, with how to attach it, and nothing is refreshed', async () => {
    const stored = await core.vault.get(USER, id);
    assert.ok(stored?.accessToken && stored.expiresAt !== undefined && stored.expiresAt - Date.now() > REFRESH_MARGIN_MS);
    const before = server.tokenRequests('refresh_token');
    const resolved = await resolve(core);
    assert.equal(resolved.secret, stored.accessToken);
    assert.equal(resolved.source, 'vault');
    assert.deepEqual(resolved.attachment().headers, [['authorization', `Bearer ${stored.accessToken}`]]);
    assert.ok(resolved.attachment().secrets.includes(stored.refreshToken!), 'the refresh token is redacted too');
    assert.equal(server.tokenRequests('refresh_token'), before, 'no refresh');
  });

  test('a token inside the refresh margin is refreshed exactly once for 40 concurrent resolves across two processes\u2019 cores', async () => {
    const stored = await core.vault.get(USER, id);
    assert.ok(stored?.accessToken);
    // Still valid at the server, but within the margin: every door must get a new one, and only one refresh may happen.
    // A 10-minute token with half the margin left (obtainedAt too: a token's half-life also counts).
    await core.vault.put(USER, id, { ...stored, obtainedAt: Date.now() - 600_000 + REFRESH_MARGIN_MS / 2, expiresAt: Date.now() + REFRESH_MARGIN_MS / 2 });
    const before = server.tokenRequests('refresh_token');
    const results = await Promise.all([...Array.from({ length: 20 }, () => resolve(core)), ...Array.from({ length: 20 }, () => resolve(other))]);
    assert.equal(server.tokenRequests('refresh_token') - before, 1, 'exactly one refresh_token grant');
    const secrets = new Set(results.map((r) => r.secret));
    assert.equal(secrets.size, 1, 'every caller got the same token');
    const [fresh] = secrets;
    assert.ok(fresh && fresh !== stored.accessToken);
    const after = await core.vault.get(USER, id);
    assert.equal(after?.accessToken, fresh);
    assert.ok(after?.expiresAt !== undefined && after.expiresAt - Date.now() > REFRESH_MARGIN_MS);
    // The connection's row was told of the new expiry.
    assert.equal((await core.connections.status(USER, id)).expiresAt, new Date(after.expiresAt).toISOString());
    // And a resolve now finds it fresh.
    assert.equal((await resolve(core)).source, 'vault');
    assert.equal(server.tokenRequests('refresh_token') - before, 1);
  });

  test('a revoked grant: the refresh is refused once, the connection needs re-auth, and a resolve that waits continues with the new token once the person signs in again', async () => {
    const stored = await core.vault.get(USER, id);
    assert.ok(stored?.accessToken && stored.refreshToken);
    const client = await createOAuthClient(server.service({ id: 'oidc' }), { clientId: PUBLIC_CLIENT });
    assert.equal((await revokeTokens(client, { accessToken: stored.accessToken, refreshToken: stored.refreshToken })).outcome, 'revoked');
    await core.vault.put(USER, id, { ...stored, expiresAt: Date.now() - 1_000 });
    const before = server.tokenRequests('refresh_token');

    await assert.rejects(resolve(core), (err: unknown) => isSophonError(err, 'auth_failed') && /sign in again/.test(err.message));
    assert.equal((await core.connections.status(USER, id)).state, 'needs_reauth');
    assert.equal(server.tokenRequests('refresh_token') - before, 1);

    let settled = false;
    const held = resolve(other, { waitMs: 60_000, pollMs: 100 }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(settled, false, 'the call waits while the connection needs re-auth');
    assert.equal(server.tokenRequests('refresh_token') - before, 1, 'the refused refresh is not repeated while waiting');

    await signIn((openUrl) => core.connections.reauth(USER, id, { openUrl }));
    const resolved = await held;
    const now = await core.vault.get(USER, id);
    assert.ok(now?.accessToken && now.accessToken !== stored.accessToken);
    assert.equal(resolved.secret, now.accessToken, 'the held call got the token of the new sign-in');
    assert.equal(resolved.source, 'reauthed');
    assert.equal(server.tokenRequests('refresh_token') - before, 1);
  });

  test('a wait that runs out fails with auth_failed, naming `connect reauth`', async () => {
    const record = core.connections.resolve(USER, id);
    core.store.setState(id, 'needs_reauth', 'test');
    try {
      await assert.rejects(
        core.credentials.resolve({ userId: USER, connection: { ...record, state: 'needs_reauth' }, purpose: 'inject', waitForReauth: { waitMs: 300, pollMs: 50 } }),
        (err: unknown) => isSophonError(err, 'auth_failed') && err.message.includes(`sophon connect reauth ${id}`) && /waited and gave up/.test(err.message),
      );
    } finally {
      core.store.setState(id, 'active', null);
    }
  });
});

describe('credentials.resolve: a linked CLI login is read again from its program at every resolve', () => {
  test('a token gh replaced is the one the next resolve returns; nothing of it is in the vault', async () => {
    const stores = await cliStores();
    const { home, cleanup } = await tempHome();
    const core = await openCoreInternals({ home, env: stores.env });
    try {
      const first = fakeToken('gho_');
      const hosts = join(stores.ghDir, 'hosts.yml');
      await writeStore(hosts, ghHostsOld({ 'github.com': { user: 'octocat', token: first } }));
      const imports = await core.imports();
      const scan = await imports.scan(USER, ['gh']);
      const linkedId = (await imports.import(USER, scan, ['gh:github.com:octocat'])).imported[0]!.connectionId;
      const record = core.connections.resolve(USER, linkedId);
      const one = await core.credentials.resolve({ userId: USER, connection: record, purpose: 'proxy' });
      assert.equal(one.secret, first);
      assert.equal(one.source, 'linked');

      const second = fakeToken('gho_');
      await writeStore(hosts, ghHostsOld({ 'github.com': { user: 'octocat', token: second } }));
      const two = await core.credentials.resolve({ userId: USER, connection: record, purpose: 'proxy' });
      assert.equal(two.secret, second, 're-read, not remembered');
      assert.equal(await core.credentials.read({ userId: USER, connectionId: linkedId }), null, 'a linked login has no vault record');
    } finally {
      core.close();
      await cleanup();
      await stores.cleanup();
    }
  });
});
