// A connection whose refresh was refused (needs_reauth), against oidc-provider: `connect test` says the
// old token still works but sign-in is needed, does not repeat the refused refresh once the token has
// expired, and a re-auth by the same person keeps the account name.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { tempHome } from '../../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { browserOpener } from '../oauth/drive';

describe('needs re-auth: connect test and the account name', async () => {
  let server: TestOidcServer;
  let browser: Browser;
  let core: CoreWithInternals;
  const { home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } });
  let id = '';

  async function withBrowser<T>(login: string, run: (openUrl: (url: string) => Promise<void>) => Promise<T>): Promise<T> {
    const { context, page } = await freshPage(browser);
    try {
      const opener = browserOpener(page, { login });
      const out = await run(opener.openUrl);
      await opener.done;
      return out;
    } finally {
      await context.close();
    }
  }

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 600 });
    browser = await launchBrowser();
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify({ ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] }));
    core = await openCoreInternals({ home });
    id = (await withBrowser('ada', (openUrl) => core.connections.add('default', { serviceId: 'oidc', oauth: { openUrl } }))).connection.id;
  });
  afterAll(async () => {
    core?.close();
    await browser?.close();
    await server?.close();
    await cleanup();
  });

  test('a refused refresh, then connect test while the old token still works: ok, said to need sign-in, state kept', async () => {
    server.failTokenRequests(1, { status: 400, error: 'invalid_grant', grantType: 'refresh_token' });
    await assert.rejects(core.refresh({ userId: 'default', connectionId: id }, { force: true }));
    assert.equal((await core.connections.status('default', id)).state, 'needs_reauth');
    const refreshes = server.tokenRequests('refresh_token');
    const { connection, outcome } = await core.connections.test('default', id);
    assert.equal(outcome.status, 'ok');
    assert.match(outcome.message, /old access token, which works only until it expires/);
    assert.match(outcome.message, /needs you to sign in again: `sophon connect reauth /);
    assert.equal(connection.state, 'needs_reauth');
    assert.equal(server.tokenRequests('refresh_token'), refreshes, 'no refresh was tried');
  });

  test('once the old token has expired, connect test does not repeat the refused refresh', async () => {
    const cred = await core.credentials.read({ userId: 'default', connectionId: id });
    assert.ok(cred);
    await core.vault.put('default', id, { ...cred, expiresAt: Date.now() - 1_000 });
    const refreshes = server.tokenRequests('refresh_token');
    const { connection, outcome } = await core.connections.test('default', id);
    assert.equal(outcome.status, 'rejected');
    assert.match(outcome.message, /has expired and Test OIDC refused the last refresh/);
    assert.equal(connection.state, 'needs_reauth');
    assert.match(String(connection.stateReason), /invalid_grant|injected/, 'the reason stays the refusal that caused it');
    assert.equal(server.tokenRequests('refresh_token'), refreshes, 'the refused refresh was not repeated');
  });

  test('re-auth by the same person keeps the account name, even when fewer claims come back; another person replaces it', async () => {
    assert.equal((await core.connections.status('default', id)).account, 'ada@example.test');
    // Without the email scope the ID token carries only `sub` ("ada"): still the same account.
    const again = await withBrowser('ada', (openUrl) => core.connections.reauth('default', id, { openUrl, scopes: ['openid', 'offline_access'] }));
    assert.equal(again.state, 'active');
    assert.equal(again.account, 'ada@example.test');
    const other = await withBrowser('bob', (openUrl) => core.connections.reauth('default', id, { openUrl, scopes: ['openid', 'offline_access', 'email'] }));
    assert.equal(other.account, 'bob@example.test');
  });

  test('re-auth without --scopes asks again for the scopes granted before, not the service\u2019s defaults', async () => {
    const narrow = await withBrowser('bob', (openUrl) => core.connections.reauth('default', id, { openUrl, scopes: ['openid', 'offline_access'] }));
    assert.deepEqual([...narrow.scopes].sort(), ['offline_access', 'openid']);
    // The CLI passes `scopes: undefined` when --scopes is not given.
    const c = await withBrowser('bob', (openUrl) => core.connections.reauth('default', id, { openUrl, scopes: undefined }));
    assert.deepEqual([...c.scopes].sort(), ['offline_access', 'openid']);
    assert.equal(c.account, 'bob@example.test');
  });
});
