// The connection page's "Refresh token" button end to end: the real `sophon dashboard` and a real
// OpenID Connect server (oidc-provider). A click shows the spinner while the refresh is on its way,
// then the new expiry; the provider really issued new tokens (its token endpoint counted a
// refresh_token grant, the vault holds a new pair) and the history has a `refresh` row. A refused
// refresh is said in words and turns the connection to "needs re-auth". An API-key connection has
// nothing to refresh and no such button. No token reaches the browser.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Browser, type Page, type Route } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { openVault } from '../../electron/core/vault/open-vault';
import { freshPage } from '../helpers/browser';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../helpers/oidc-server';
import { loginAndConsent } from '../integration/oauth/drive';
import { encodings, recordEvents, recordTraffic, screenshotBoth, openDashboardSession, type Dashboard, type DashboardSession } from './dashboard-helpers';

const KEY = `sk-refresh-${randomBytes(18).toString('hex')}`;
/** Long enough that nothing but the button refreshes during the run. */
const ACCESS_TOKEN_TTL = 600;

test.describe('dashboard in Chromium: Refresh token on a connection (oidc-provider)', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let server: TestOidcServer;
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let session: DashboardSession;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;
  let events: ReturnType<typeof recordEvents>;
  const tokens = new Set<string>();

  test.beforeAll(async ({ browser: runnerBrowser }) => {
    ({ home, cleanup } = await tempHome());
    server = await startOidcServer({ accessTokenTtl: ACCESS_TOKEN_TTL });
    api = await startUserApi(KEY, 'octo-refresh');
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } }));
    await mkdir(join(home, 'connectors'));
    const connector = { ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] };
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify(connector));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    session = await openDashboardSession(runnerBrowser, home);
    ({ dashboard, browser, page, traffic, events } = session);
  });
  test.afterAll(async () => {
    await session?.close();
    await server?.close();
    await api?.close();
    await cleanup?.();
  });

  const heading = () => page.getByRole('heading', { level: 1 });
  const actions = () => page.getByRole('region', { name: 'Actions' });
  const status = (id: string) => sophon(['connect', 'status', id, '--json'], { home }).then((r) => json<Connection>(r));
  async function stored(id: string): Promise<{ accessToken: string; refreshToken: string }> {
    const cred = await (await openVault({ home })).vault.get('default', id);
    assert.ok(cred?.accessToken && cred.refreshToken, 'an OAuth credential with both tokens');
    tokens.add(cred.accessToken);
    tokens.add(cred.refreshToken);
    return { accessToken: cred.accessToken, refreshToken: cred.refreshToken };
  }

  let id = '';
  test('an OAuth connection, signed in from the UI’s link', async () => {
    await page.goto(dashboard.address);
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await page.getByRole('link', { name: 'Add connection' }).click();
    await page.getByRole('searchbox', { name: 'Search services' }).fill('oidc');
    await page.locator('a[data-service-id="oidc"]').click();
    await page.getByLabel('Name').fill('Ada at OIDC');
    await page.getByRole('button', { name: 'Sign in to Test OIDC' }).click();
    const link = page.getByRole('link', { name: 'Open the sign-in page' });
    await link.waitFor({ timeout: 15_000 });
    const other = await freshPage(browser);
    try {
      await other.page.goto((await link.getAttribute('href'))!);
      await loginAndConsent(other.page, { login: 'ada' });
      await other.page.locator('#sophon-message').waitFor({ timeout: 30_000 });
    } finally {
      await other.context.close();
    }
    await heading().filter({ hasText: 'Ada at OIDC' }).waitFor({ timeout: 20_000 });
    id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    assert.equal((await status(id)).state, 'active');
    await stored(id);
  });

  test('Refresh token: the spinner while it runs, then the new expiry; the provider issued new tokens; a refresh row', async () => {
    const before = await status(id);
    const old = await stored(id);
    const grants = server.tokenRequests('refresh_token');
    assert.ok(before.expiresAt, 'the connection shows an expiry');

    // Hold the call to see the page while the refresh is on its way.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked: () => void = () => undefined;
    const requested = new Promise<void>((resolve) => (asked = resolve));
    await page.route('**/api/connections.refresh', async (route: Route) => {
      asked();
      await held;
      await route.continue();
    });
    try {
      await actions().getByRole('button', { name: 'Refresh token' }).click();
      await requested;
      await actions().getByRole('status').filter({ hasText: 'Refreshing the token…' }).waitFor();
      const buttons = actions().locator('.actions button');
      assert.deepEqual(await buttons.allInnerTexts(), ['Test', 'Re-auth…', 'Refresh token', 'Rename…', 'Remove…']);
      for (const b of await buttons.all()) assert.equal(await b.isDisabled(), true, `${await b.innerText()} waits for the refresh`);
      await screenshotBoth(page, '27-refresh-in-progress');
    } finally {
      release();
      await page.unrouteAll({ behavior: 'wait' });
    }

    const done = actions().getByRole('status').filter({ hasText: 'Token refreshed' });
    await done.waitFor();
    const after = await status(id);
    const fresh = await stored(id);
    assert.equal(server.tokenRequests('refresh_token'), grants + 1, 'one refresh_token grant reached the provider');
    assert.notEqual(fresh.accessToken, old.accessToken, 'a new access token in the vault');
    assert.notEqual(fresh.refreshToken, old.refreshToken, 'the provider rotated the refresh token');
    assert.ok(Date.parse(after.expiresAt!) > Date.parse(before.expiresAt!), `a later expiry: ${before.expiresAt} → ${after.expiresAt}`);
    assert.equal(after.state, 'active');
    // The page shows that expiry, in words and as a machine-readable time.
    assert.match(await done.innerText(), /Token refreshed\. The new token expires in 10 minutes/);
    const expires = page.locator('.facts time[data-fact="expires"]');
    assert.equal(await expires.getAttribute('datetime'), after.expiresAt);
    assert.equal(await expires.innerText(), 'in 10 minutes');
    // The old refresh token is spent at the provider.
    const reuse = await fetch(`${server.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: old.refreshToken, client_id: PUBLIC_CLIENT }) });
    assert.equal(reuse.status, 400, 'the rotated-out refresh token no longer works');

    const history = page.locator('section[aria-labelledby="history-h"] tbody tr').first();
    await page.locator('section[aria-labelledby="history-h"] tr[data-action="refresh"]').waitFor();
    assert.equal(await history.getAttribute('data-action'), 'refresh', 'the newest history row is the refresh');
    assert.equal(await history.locator('td:nth-child(3)').innerText(), 'ok');
    await screenshotBoth(page, '28-refreshed');
  });

  test('a refresh the provider refuses: said in words, and the connection needs re-auth', async () => {
    server.failTokenRequests(1, { status: 400, error: 'invalid_grant', grantType: 'refresh_token' });
    await actions().getByRole('button', { name: 'Refresh token' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const said = await alert.innerText();
    assert.match(said, /^Test OIDC refused to refresh the token\. Sign in again \(below\) to keep using this connection\./, `the way out is named: ${said}`);
    assert.match(said, /invalid_grant/, 'the server’s own message under it');
    assert.equal(await page.getByText('Token refreshed').count(), 0, 'the earlier success is no longer shown');
    await page.getByRole('button', { name: 'Sign in again' }).waitFor();
    await page.getByText('This connection needs you to sign in again.').waitFor();
    await page.locator('.page-header [data-state="needs_reauth"]').waitFor();
    assert.equal((await status(id)).state, 'needs_reauth');
    await page.locator('section[aria-labelledby="history-h"] tbody tr[data-action="refresh"] td:nth-child(3)', { hasText: 'failed' }).first().waitFor();
    await screenshotBoth(page, '29-refresh-refused');
  });

  test('an API-key connection has no token to refresh: no Refresh token button', async () => {
    const added = await fetch(`${dashboard.origin}/api/connections.add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serviceId: 'localapi', label: 'Plain key', secret: KEY }),
    });
    const { value } = (await added.json()) as { value: { connection: Connection } };
    await page.goto(`${dashboard.origin}/#/connection/${encodeURIComponent(value.connection.id)}`);
    await heading().filter({ hasText: 'Plain key' }).waitFor();
    assert.deepEqual(await actions().locator('.actions button').allInnerTexts(), ['Test', 'Replace key…', 'Rename…', 'Remove…']);
    // The API says why, in words, to a client that asks anyway.
    const res = await fetch(`${dashboard.origin}/api/connections.refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connection: value.connection.id }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /Plain key has no token to refresh \(it uses a Token\)\./);
  });

  test('canary: no access or refresh token of the run is in any HTTP response body or event', async () => {
    await traffic.settle();
    assert.ok(tokens.size >= 4, `tokens noted: ${tokens.size}`);
    assert.ok(traffic.responses.some((r) => r.url.endsWith('/api/connections.refresh')), 'the recorder saw the refresh');
    for (const token of tokens) {
      for (const form of encodings(token)) {
        for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with a token`);
        assert.ok(!events.text().includes(form), 'an event carried a token');
        assert.ok(!dashboard.stderr().includes(form), 'the dashboard printed a token');
      }
    }
  });
});
