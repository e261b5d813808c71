// OAuth in the dashboard end to end: the real `sophon dashboard` against a real OpenID Connect server
// (oidc-provider). The dashboard runs with --no-browser, so the sign-in page reaches the person only as
// the UI's link (from the `oauth.progress` event); the test opens that link in another Chromium page and
// signs in there, as someone whose browser did not open would. Then the grant is revoked at the server
// and another process finds out: the list shows "Needs re-auth" without a reload; re-auth from the UI
// asks for one more scope; remove revokes at the server. No token ever reaches the browser.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Browser, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { openVault } from '../../electron/core/vault/open-vault';
import { freshPage } from '../helpers/browser';
import { json, sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../helpers/oidc-server';
import { loginAndConsent } from '../integration/oauth/drive';
import { encodings, recordEvents, recordTraffic, screenshotBoth, openDashboardSession, type Dashboard, type DashboardSession } from './dashboard-helpers';

test.describe('dashboard in Chromium: OAuth add, needs re-auth shown live, re-auth with more scopes, remove', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let server: TestOidcServer;
  let session: DashboardSession;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;
  let events: ReturnType<typeof recordEvents>;
  /** Every token the vault held during the run: none may reach the browser. */
  const tokens = new Set<string>();

  test.beforeAll(async ({ browser: runnerBrowser }) => {
    ({ home, cleanup } = await tempHome());
    server = await startOidcServer({ accessTokenTtl: 3 });
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } }));
    await mkdir(join(home, 'connectors'));
    const connector = { ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] };
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify(connector));
    session = await openDashboardSession(runnerBrowser, home);
    ({ dashboard, browser, page, traffic, events } = session);
  });
  test.afterAll(async () => {
    await session?.close();
    await server?.close();
    await cleanup?.();
  });

  const heading = () => page.getByRole('heading', { level: 1 });
  async function noteTokens(id: string): Promise<void> {
    const cred = await (await openVault({ home })).vault.get('default', id);
    for (const t of [cred?.accessToken, cred?.refreshToken]) if (t) tokens.add(t);
  }

  /** Waits for the UI's "Open the sign-in page" link and signs in there in a separate browser profile. */
  async function signInFromLink(shotName: string): Promise<void> {
    const link = page.getByRole('link', { name: 'Open the sign-in page' });
    await link.waitFor({ timeout: 15_000 });
    assert.match(await page.getByRole('status').filter({ hasText: 'Waiting for you to finish signing in' }).first().innerText(), /Waiting for you to finish signing in to Test OIDC/);
    await screenshotBoth(page, shotName);
    const url = await link.getAttribute('href');
    assert.ok(url?.startsWith(`${server.issuer}/auth?`), `the authorization URL: ${url}`);
    const other = await freshPage(browser);
    try {
      await other.page.goto(url!);
      await loginAndConsent(other.page, { login: 'ada' });
      await other.page.locator('#sophon-message').waitFor({ timeout: 30_000 });
    } finally {
      await other.context.close();
    }
  }

  let id = '';
  test('add: the consent happens in the browser; progress and the sign-in link show meanwhile; then the connection', async () => {
    await page.goto(dashboard.address);
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await page.getByRole('link', { name: 'Add connection' }).click();
    await page.getByRole('searchbox', { name: 'Search services' }).fill('oidc');
    await page.locator('a[data-service-id="oidc"]').click();
    await heading().filter({ hasText: 'Connect Test OIDC' }).waitFor();
    assert.deepEqual((await page.getByLabel('Scopes').inputValue()).split('\n'), ['openid', 'offline_access', 'email']);
    await page.getByLabel('Name').fill('Ada at OIDC');
    await page.getByRole('button', { name: 'Sign in to Test OIDC' }).click();
    await signInFromLink('12-oauth-progress');
    await heading().filter({ hasText: 'Ada at OIDC' }).waitFor({ timeout: 20_000 });
    await page.getByRole('status').filter({ hasText: 'Connected “Ada at OIDC”' }).waitFor();
    id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    const c = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home }));
    assert.deepEqual([c.state, c.account], ['active', 'ada@example.test']);
    assert.equal(await page.locator('[data-state="active"]').count(), 1);
    await noteTokens(id);
    await screenshotBoth(page, '13-oauth-detail');
  });

  test('revoked at the server and noticed by another process: the open list shows "Needs re-auth" without a reload', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Connections' }).click();
    const row = page.locator(`li[data-connection-id="${id}"]`);
    await row.locator('[data-state="active"]').waitFor();
    await page.evaluate('window.__sameDocument = true');
    const { vault } = await openVault({ home });
    const cred = await vault.get('default', id);
    const res = await fetch(`${server.issuer}/token/revocation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: cred!.refreshToken!, client_id: PUBLIC_CLIENT }) });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 3500));
    // Another process (the CLI) uses the connection: the refresh is refused and it flips to needs_reauth.
    const t = await sophon(['connect', 'test', id], { home });
    assert.equal(t.code, 4, t.stdout + t.stderr);
    await row.locator('[data-state="needs_reauth"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate('window.__sameDocument === true'), true, 'the page was not reloaded');
    assert.match(await page.locator('.summary').innerText(), /1 needs re-auth/);
    assert.equal(await page.getByRole('navigation', { name: 'Sections' }).getByLabel('1 need attention').count(), 1);
    await screenshotBoth(page, '14-needs-reauth');
  });

  test('re-auth from the connection with one more scope: same id and label, active, the new scope granted', async () => {
    await page.locator(`li[data-connection-id="${id}"] a`).click();
    await heading().filter({ hasText: 'Ada at OIDC' }).waitFor();
    await page.getByText('This connection needs you to sign in again.').waitFor();
    const scopes = page.getByLabel('Scopes');
    await scopes.fill(`${await scopes.inputValue()}\nprofile`);
    await screenshotBoth(page, '15-reauth-scopes');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await signInFromLink('16-reauth-progress');
    await page.getByRole('status').filter({ hasText: 'Signed in again' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-state="active"]').waitFor();
    const c = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home }));
    assert.deepEqual([c.id, c.label, c.state], [id, 'Ada at OIDC', 'active']);
    assert.ok(c.scopes.includes('profile'), `scopes: ${c.scopes}`);
    await noteTokens(id);
  });

  test('remove: confirmed, revoked at the server, and said so', async () => {
    const cred = await (await openVault({ home })).vault.get('default', id);
    await page.getByRole('button', { name: 'Remove…' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /also revokes it at Test OIDC/);
    await dialog.getByRole('button', { name: 'Remove and revoke' }).click();
    await page.getByText('Removed “Ada at OIDC” and revoked it at Test OIDC.').waitFor();
    const refresh = await fetch(`${server.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred!.refreshToken!, client_id: PUBLIC_CLIENT }) });
    assert.equal(refresh.status, 400, 'the refresh token no longer works at the server');
  });

  test('canary: no access or refresh token of the run is in any HTTP response body or event', async () => {
    await traffic.settle();
    assert.ok(tokens.size >= 3, `tokens noted: ${tokens.size}`);
    const apiResponses = traffic.responses.filter((r) => r.url.includes('/api/'));
    assert.ok(apiResponses.length >= 8, `the recorder saw the run: ${apiResponses.map((r) => r.url).join(' ')}`);
    assert.ok(events.text().includes('oauth.progress'), `the event stream was recorded: ${events.text().slice(0, 3000)}`);
    for (const token of tokens) {
      for (const form of encodings(token)) {
        for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with a token`);
        assert.ok(!events.text().includes(form), 'an event carried a token');
      }
    }
  });
});
