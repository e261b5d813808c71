// The ways into an OAuth connection in the dashboard, end to end: the real `sophon dashboard` (with
// --no-browser, so sign-in pages reach the person only as the UI's link) against two oidc-provider
// servers — A lets clients register themselves (RFC 7591), B does not. Guided setup from the setup panel
// to a working connection; device sign-in (the code typed in another browser); Connect by URL with
// registration (no setup at all) and without (the setup panel takes over, with why). Last, a canary: no
// client secret, registration token or OAuth token in any response, event, the page, a log or the settings.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Browser, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { openVault } from '../../electron/core/vault/open-vault';
import { registrationTokenName, SystemSecrets } from '../../electron/core/vault/system-secrets';
import { freshPage } from '../helpers/browser';
import { filesUnder, forms } from '../helpers/canary';
import { json, sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../helpers/oidc-server';
import { loginAndConsent } from '../integration/oauth/drive';
import { encodings, openDashboardSession, recordEvents, recordTraffic, screenshotBoth, type Dashboard, type DashboardSession } from './dashboard-helpers';

const CLIENT_SECRET = 'e2e-guided-client-secret-canary-0123456789';
const BEARER = [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }];

test.describe('OAuth in the dashboard without a shipped client: guided setup, device sign-in, Connect by URL', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let serverA: TestOidcServer;
  let serverB: TestOidcServer;
  let serverC: TestOidcServer;
  let session: DashboardSession;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;
  let events: ReturnType<typeof recordEvents>;
  const connectionIds: string[] = [];

  test.beforeAll(async ({ browser: runnerBrowser }) => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { devsvc: { ClientId: PUBLIC_CLIENT } } } }));
    serverA = await startOidcServer({ registration: 'open', accessTokenTtl: 600, confidentialClient: { id: 'sophon-confidential', secret: CLIENT_SECRET } });
    serverB = await startOidcServer({ accessTokenTtl: 600 });
    // Registration needs an initial access token Sophon does not have: the server refuses, in its own words.
    serverC = await startOidcServer({ registration: 'initial-token' });
    await mkdir(join(home, 'connectors'));
    // Endpoints named, no issuer to register at, a client secret needed: only a person can set it up.
    const guided = { ...serverA.service({ id: 'guided', withIssuer: false, clientSecretRequired: true }), name: 'Guided OIDC', attach: BEARER };
    const device = { ...serverB.service({ id: 'devsvc' }), name: 'Device OIDC', attach: BEARER };
    await writeFile(join(home, 'connectors', 'guided.json'), JSON.stringify(guided));
    await writeFile(join(home, 'connectors', 'devsvc.json'), JSON.stringify(device));
    session = await openDashboardSession(runnerBrowser, home, { context: { permissions: ['clipboard-read', 'clipboard-write'] } });
    ({ dashboard, browser, page, traffic, events } = session);
  });
  test.afterAll(async () => {
    await session?.close();
    await serverA?.close();
    await serverB?.close();
    await serverC?.close();
    await cleanup?.();
  });

  const heading = () => page.getByRole('heading', { level: 1 });

  /** Waits for the UI's "Open the sign-in page" link and signs in there in a separate browser profile. */
  async function signInFromLink(issuer: string): Promise<void> {
    const link = page.getByRole('link', { name: 'Open the sign-in page' });
    await link.waitFor({ timeout: 20_000 });
    const url = await link.getAttribute('href');
    assert.ok(url?.startsWith(`${issuer}/auth?`), `the authorization URL: ${url}`);
    const other = await freshPage(browser);
    try {
      await other.page.goto(url!);
      await loginAndConsent(other.page, { login: 'ada' });
      await other.page.locator('#sophon-message').waitFor({ timeout: 30_000 });
    } finally {
      await other.context.close();
    }
  }

  /** The connection page the add form went on to: its id, and the connection as the CLI sees it. */
  async function landedConnection(): Promise<Connection> {
    await page.waitForURL(/#\/connection\//, { timeout: 30_000 });
    const id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    connectionIds.push(id);
    return json<Connection>(await sophon(['connect', 'status', id, '--json'], { home }));
  }

  test('guided setup: console, app type, the redirect URI with a copy button, the scopes; client id and secret; then straight into sign-in', async () => {
    await page.goto(dashboard.address);
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await page.goto(`${dashboard.origin}/#/add/guided`);
    await heading().filter({ hasText: 'Connect Guided OIDC' }).waitFor();
    const panel = page.getByRole('region', { name: 'Set up Guided OIDC' });
    await panel.getByRole('heading', { name: 'Set up sign-in with Guided OIDC' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign in to Guided OIDC' }).isVisible(), false, 'no sign-in before there is a client');
    assert.equal(await panel.locator('[data-redirect-uri]').innerText(), 'http://127.0.0.1/callback');
    assert.match(await panel.innerText(), /Choose: a native \(desktop\) app, public client/);
    assert.match(await panel.innerText(), /Scopes: ?openid ?offline_access ?email/);
    await panel.getByRole('button', { name: 'Copy the redirect URI http://127.0.0.1/callback' }).click();
    await panel.getByRole('button', { name: 'Copy the redirect URI http://127.0.0.1/callback' }).filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), 'http://127.0.0.1/callback');
    await screenshotBoth(page, '30-oauth-setup-panel');

    await panel.getByLabel('Client id').fill('sophon-confidential');
    await panel.getByLabel(/^Client secret/).fill(CLIENT_SECRET);
    await panel.getByRole('button', { name: 'Save and sign in' }).click();
    await signInFromLink(serverA.issuer);
    const c = await landedConnection();
    assert.deepEqual([c.serviceId, c.state, c.account], ['guided', 'active', 'ada@example.test']);
    const settings = JSON.parse(await readFile(join(home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { OAuth: Record<string, unknown> } };
    assert.deepEqual(settings.Sophon.OAuth.guided, { ClientId: 'sophon-confidential', ClientSecretInVault: true });
    const test1 = await sophon(['connect', 'test', c.id], { home });
    assert.equal(test1.code, 0, test1.stderr);
  });

  test('device sign-in: the code, the address, a copy button and a countdown; approved in another browser, the connection appears', async () => {
    await page.goto(`${dashboard.origin}/#/add/devsvc`);
    await heading().filter({ hasText: 'Connect Device OIDC' }).waitFor();
    await page.getByRole('button', { name: 'Sign in with a code' }).click();
    const code = page.locator('[data-user-code]');
    await code.waitFor({ timeout: 20_000 });
    const userCode = (await code.innerText()).trim();
    assert.match(userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    const address = await page.locator('a.device-address').getAttribute('href');
    assert.equal(address, `${serverB.issuer}/device`);
    assert.match(await page.locator('.device-countdown').innerText(), /The code expires in \d+:\d\d\./);
    await page.getByRole('button', { name: 'Copy the code' }).click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), userCode);
    await page.getByRole('status').filter({ hasText: 'Waiting for you to enter the code and approve at Device OIDC' }).waitFor();
    await screenshotBoth(page, '31-device-signin');

    await approveDevice(address!, userCode);
    const c = await landedConnection();
    assert.deepEqual([c.serviceId, c.state, c.account], ['devsvc', 'active', 'ada@example.test']);

    // Re-auth from the connection's page with a code too: same connection, a new token.
    const before = json<Connection>(await sophon(['connect', 'status', c.id, '--json'], { home }));
    await page.getByRole('button', { name: 'Re-auth…' }).click();
    await page.getByRole('button', { name: 'Sign in with a code' }).click();
    const again = page.locator('[data-user-code]');
    await again.waitFor({ timeout: 20_000 });
    const secondCode = (await again.innerText()).trim();
    assert.notEqual(secondCode, userCode, 'a new code for the new sign-in');
    await approveDevice((await page.locator('a.device-address').getAttribute('href'))!, secondCode);
    await page.getByText('Signed in again.').waitFor({ timeout: 30_000 });
    const after = json<Connection>(await sophon(['connect', 'status', c.id, '--json'], { home }));
    assert.deepEqual([after.id, after.label, after.state, after.account], [c.id, c.label, 'active', 'ada@example.test']);
    assert.ok(after.expiresAt !== null && after.expiresAt >= before.expiresAt!, 'the new token expires no earlier than the first');
  });

  async function approveDevice(address: string, userCode: string): Promise<void> {
    const other = await freshPage(browser);
    try {
      await other.page.goto(address);
      await other.page.locator('input[name=user_code]').fill(userCode);
      await other.page.locator('button[form="op.deviceInputForm"]').click();
      await other.page.locator('button[autofocus][form="op.deviceConfirmForm"]').click();
      await loginAndConsent(other.page, { login: 'ada' });
      await other.page.getByText('Sign-in Success').waitFor();
    } finally {
      await other.context.close();
    }
  }

  test('Connect by URL, the server registers Sophon itself: no setup at all, straight to its sign-in', async () => {
    await page.goto(`${dashboard.origin}/#/add`);
    const byUrl = page.getByRole('region', { name: 'Connect by URL' });
    await byUrl.getByLabel('URL').fill(serverA.issuer);
    await byUrl.getByRole('button', { name: 'Find and connect' }).click();
    await signInFromLink(serverA.issuer);
    const c = await landedConnection();
    assert.equal(c.state, 'active');
    assert.equal(c.account, 'ada@example.test');
    assert.equal(c.serviceId, `127-0-0-1-${new URL(serverA.issuer).port}`);
    const registrations = JSON.parse(await readFile(join(home, 'config', 'oauth-registrations.json'), 'utf8')) as Record<string, { Issuer: string }>;
    assert.equal(registrations[c.serviceId]?.Issuer, serverA.issuer);
  });

  test('Connect by URL, the server does not register clients: the setup panel takes over with why; set up, it signs in', async () => {
    await page.goto(`${dashboard.origin}/#/add`);
    const byUrl = page.getByRole('region', { name: 'Connect by URL' });
    await byUrl.getByLabel('URL').fill(serverB.issuer);
    await byUrl.getByRole('button', { name: 'Find and connect' }).click();
    const id = `127-0-0-1-${new URL(serverB.issuer).port}`;
    const panel = page.getByRole('region', { name: `Set up ${new URL(serverB.issuer).host}` });
    await panel.waitFor({ timeout: 20_000 });
    const why = await panel.getByRole('alert').innerText();
    assert.match(why, /no OAuth client to sign in/);
    assert.match(why, /does not offer dynamic client registration/);
    await screenshotBoth(page, '32-connect-by-url-setup');
    await panel.getByLabel('Client id').fill(PUBLIC_CLIENT);
    await panel.getByRole('button', { name: 'Save and sign in' }).click();
    await signInFromLink(serverB.issuer);
    const c = await landedConnection();
    assert.deepEqual([c.serviceId, c.state], [id, 'active']);
  });

  test('Connect by URL, the server refuses the registration: the setup panel shows its answer', async () => {
    await page.goto(`${dashboard.origin}/#/add`);
    const byUrl = page.getByRole('region', { name: 'Connect by URL' });
    await byUrl.getByLabel('URL').fill(serverC.issuer);
    await byUrl.getByRole('button', { name: 'Find and connect' }).click();
    const panel = page.getByRole('region', { name: `Set up ${new URL(serverC.issuer).host}` });
    await panel.waitFor({ timeout: 20_000 });
    const why = await panel.getByRole('alert').innerText();
    assert.match(why, /refused to register Sophon as an app \(its answer: invalid_token/);
    assert.match(why, /sophon oauth setup 127-0-0-1-\d+/);
    assert.equal(await panel.locator('[data-redirect-uri]').innerText(), 'http://127.0.0.1/callback');
  });

  test('canary: no client secret, registration token or OAuth token in any response, event, the page, a log or the settings file', async () => {
    const secrets = [CLIENT_SECRET];
    const opened = await openVault({ home });
    const system = new SystemSecrets(opened.paths, (keyId) => opened.keys.keyFor(keyId));
    const registered = await system.get(registrationTokenName(`127-0-0-1-${new URL(serverA.issuer).port}`));
    assert.ok(registered, 'Connect by URL left a registration access token in the vault');
    secrets.push(registered);
    for (const id of connectionIds) {
      const cred = await opened.vault.get('default', id);
      for (const t of [cred?.accessToken, cred?.refreshToken]) if (t) secrets.push(t);
    }
    assert.ok(secrets.length >= 8, `secrets noted: ${secrets.length}`);
    await traffic.settle();
    const dom = await page.content();
    const logs = (await filesUnder(join(home, 'logs')).catch(() => [] as string[])).map((f) => f);
    const logText = (await Promise.all(logs.map((f) => readFile(f, 'utf8')))).join('\n');
    const settingsText = await readFile(join(home, 'config', 'appsettings.json'), 'utf8');
    for (const secret of secrets) {
      for (const form of [...encodings(secret), ...forms(secret)]) {
        for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with a secret`);
        assert.ok(!events.text().includes(form), 'an event carried a secret');
        assert.ok(!dom.includes(form), 'the page holds a secret');
        assert.ok(!logText.includes(form), 'a log holds a secret');
        assert.ok(!settingsText.includes(form), 'the settings file holds a secret');
        assert.ok(!dashboard.stderr().includes(form), "the dashboard's output holds a secret");
      }
    }
    assert.ok(events.text().includes('"device"'), 'the event stream was recorded, device sign-in included');
  });
});
