// The add form fits the service's auth method: the mail form (SMTP/IMAP hosts, ports, TLS mode, user,
// password) against real servers (Debian's dovecot, an SMTP server), and the no-credential form
// (Ollama: only its base URL) against a local HTTP server, and an OAuth service's client id entered by an
// admin. Neither the mail password nor the client secret comes back in any response.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type BrowserContext, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { json, sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { startDovecot, startSmtp } from '../helpers/mail';
import { encodings, recordTraffic, screenshotBoth, startDashboard, type Dashboard } from './dashboard-helpers';

const user = { username: 'alice', password: `canary-mail-${randomBytes(10).toString('hex')}` };
const CLIENT_SECRET = `canary-client-secret-${randomBytes(10).toString('hex')}`;

test.describe('dashboard in Chromium: the form for each auth method (mail server, no credential)', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let ollama: Server;
  let ollamaUrl = '';
  const ollamaSeen: string[] = [];
  let dashboard: Dashboard;
  let context: BrowserContext;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    dovecot = await startDovecot(user);
    smtp = await startSmtp(user);
    ollama = createServer((req, res) => {
      ollamaSeen.push(req.url ?? '');
      res.writeHead(req.url === '/api/version' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: '0.9.0' }));
    });
    await new Promise<void>((resolve) => ollama.listen(0, '127.0.0.1', resolve));
    ollamaUrl = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}`;
    dashboard = await startDashboard(home);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    traffic = recordTraffic(context);
    page = await context.newPage();
    await page.goto(dashboard.address);
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
  });
  test.afterAll(async () => {
    await context?.close();
    await dashboard?.stop();
    await Promise.all([dovecot?.stop(), smtp?.stop(), new Promise((r) => ollama?.close(r))]);
    await cleanup?.();
  });

  test('mail: hosts, ports, TLS modes, user and password; tested against the real servers and stored', async () => {
    await page.goto(`${dashboard.origin}/#/add/email`);
    await page.getByRole('heading', { level: 1, name: 'Connect Email (SMTP/IMAP)' }).waitFor();
    assert.equal(await page.getByLabel('SMTP port').inputValue(), '587', 'defaults from the catalog');
    assert.equal(await page.getByLabel('IMAP security').inputValue(), 'tls');
    assert.deepEqual(await page.getByLabel('SMTP security').locator('option').allInnerTexts(), ['TLS', 'STARTTLS', 'None (unencrypted)']);
    assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');
    await page.getByLabel('Name (optional)').fill('Mailbox');
    await page.getByLabel('SMTP server').fill('127.0.0.1');
    await page.getByLabel('SMTP port').fill(String(smtp.port));
    await page.getByLabel('SMTP security').selectOption('none');
    await page.getByLabel('IMAP server').fill('127.0.0.1');
    await page.getByLabel('IMAP port').fill(String(dovecot.imapPort));
    await page.getByLabel('IMAP security').selectOption('none');
    await page.getByLabel('Username').fill(user.username);
    await screenshotBoth(page, '18-add-mail-form');
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Mailbox' }).waitFor({ timeout: 20_000 });
    assert.match(await page.getByRole('status').filter({ hasText: 'Connected' }).innerText(), /Test passed/);
    const id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    const c = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home }));
    assert.deepEqual([c.fields.smtpHost, c.fields.smtpPort, c.fields.imapTls, c.fields.username, c.secretHint], ['127.0.0.1', String(smtp.port), 'none', 'alice', null]);
  });

  test('no credential (Ollama): only the base URL, tested against the local server', async () => {
    await page.goto(`${dashboard.origin}/#/add/ollama`);
    await page.getByRole('heading', { level: 1, name: 'Connect Ollama' }).waitFor();
    assert.equal(await page.locator('input[type=password]').count(), 0, 'no secret is asked for');
    assert.equal(await page.getByLabel('Server URL').inputValue(), 'http://127.0.0.1:11434');
    await page.getByLabel('Server URL').fill(ollamaUrl);
    await screenshotBoth(page, '19-add-ollama-form');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(/#\/connection\/ollama-/, { timeout: 20_000 });
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    assert.match(await page.getByRole('status').filter({ hasText: 'Connected' }).innerText(), /Test passed/);
    assert.ok(ollamaSeen.includes('/api/version'), `the test call reached the server: ${ollamaSeen}`);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Models' }).click();
    await page.locator('.provider-card[data-service-id="ollama"]').getByText('1 connection').waitFor();
  });

  test('an OAuth service without a client id: an admin enters it on the add page; the secret is write-only', async () => {
    await page.goto(`${dashboard.origin}/#/add/gmail`);
    const clientForm = page.getByRole('form', { name: 'OAuth client for Gmail' });
    await clientForm.waitFor();
    await page.getByLabel('Client id').fill('sophon-e2e.apps.example');
    await page.getByLabel(/^Client secret/).fill(CLIENT_SECRET);
    await screenshotBoth(page, '20-oauth-client-id');
    await clientForm.getByRole('button', { name: 'Save and sign in' }).click();
    await clientForm.waitFor({ state: 'detached' });
    // The setup goes straight on to sign in; Google cannot be reached from the test machine, so that fails and says so.
    await page.getByRole('alert').waitFor({ timeout: 40_000 });
    assert.equal(await page.getByRole('button', { name: 'Sign in to Gmail' }).isEnabled(), true);
    const text = await readFile(join(home, 'config', 'appsettings.json'), 'utf8');
    const settings = JSON.parse(text) as { Sophon: { OAuth: Record<string, { ClientId: string }> } };
    // The file says only that a secret is set; the secret itself is sealed in the vault.
    assert.deepEqual(settings.Sophon.OAuth.gmail, { ClientId: 'sophon-e2e.apps.example', ClientSecretInVault: true });
    assert.ok(!text.includes(CLIENT_SECRET));
  });

  test('canary: the mail password and the client secret are in no HTTP response body', async () => {
    await traffic.settle();
    assert.ok(traffic.requests.some((b) => b.includes(CLIENT_SECRET)), 'the client secret went out in oauth.setup');
    for (const form of encodings(CLIENT_SECRET)) for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with the client secret`);
    assert.ok(traffic.requests.some((b) => b.includes(user.password)), 'the password went out in the add request');
    for (const form of encodings(user.password)) for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with the password`);
  });
});
