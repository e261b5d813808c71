// The connection list, the catalog and the detail page in Chromium against the real `sophon dashboard`:
// a key added while its service is down is stored *untested* (its own badge) until a test passes;
// service logos (the monogram only where there is none); "expires soon" before a key's expiry; the
// catalog's search synonyms, needs-setup badge and "Where do I get this key?"; Replace key keeps the
// connection's id, label and history, and the new key never comes back in a response.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { json, sophon } from '../helpers/cli';
import { userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { encodings, openDashboardSession, screenshotBoth, type DashboardSession } from './dashboard-helpers';

type Sqlite = typeof import('better-sqlite3');
const Database = createRequire(import.meta.url)('better-sqlite3') as Sqlite;

const KEY = `sk-list-${randomBytes(12).toString('hex')}`;
const ROTATED = `sk-rotated-${randomBytes(12).toString('hex')}`;

/** A real API on a fixed port that can be taken down and brought back; GET /user answers 200 for the keys it accepts. */
function switchableApi(accepted: Set<string>): { port: () => number; up: () => Promise<void>; down: () => Promise<void> } {
  let server: Server | null = null;
  let port = 0;
  return {
    port: () => port,
    up: async () => {
      server = createServer((req, res) => {
        const ok = [...accepted].some((k) => req.headers.authorization === `Bearer ${k}`);
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { login: 'octo-list' } : { message: 'Bad credentials' }));
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    },
    down: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

test.describe('dashboard in Chromium: the connection list, the catalog and the detail page', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let session: DashboardSession;
  let page: Page;
  const accepted = new Set([KEY]);
  const api = switchableApi(accepted);
  const heading = () => page.getByRole('heading', { level: 1 });

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    // Its port, then down: the first add cannot reach it.
    await api.up();
    await api.down();
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port()));
    session = await openDashboardSession(browser, home);
    page = session.page;
  });
  test.afterAll(async () => {
    await session?.close();
    await api.down();
    await cleanup?.();
  });

  let id = '';
  test('a key added while the service is down: stored untested, said so, its own badge; a passing test makes it active', async () => {
    await page.goto(session.dashboard.address);
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await page.goto(`${session.dashboard.origin}/#/add/localapi`);
    await heading().filter({ hasText: 'Connect Local localapi' }).waitFor();
    await page.getByLabel('Name').fill('Offline');
    await page.getByLabel('Token').fill(KEY);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await heading().filter({ hasText: 'Offline' }).waitFor();
    id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    assert.match(await page.getByRole('status').filter({ hasText: 'untested' }).first().innerText(), /Stored “Offline” untested: The service could not be reached/);
    assert.equal(await page.locator('.page-header .badge').getAttribute('data-state'), 'untested');
    assert.equal(await page.locator('.page-header .badge').innerText(), 'Untested');
    assert.equal(json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).state, 'untested');

    await page.getByRole('link', { name: 'Connections' }).first().click();
    const row = page.locator(`li.conn-row[data-connection-id="${id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-attention'), 'untested');
    assert.match(await row.locator('.badge').innerText(), /Untested/);
    assert.match((await row.locator('a').getAttribute('aria-label')) ?? '', /Offline, Local localapi, untested/);
    assert.match(await page.locator('.summary').innerText(), /1 untested/);
    await screenshotBoth(page, '40-list-untested');

    await api.up();
    await row.locator('a').click();
    await heading().filter({ hasText: 'Offline' }).waitFor();
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.locator('.test-result[data-status="ok"]').waitFor();
    await page.locator('.page-header .badge[data-state="active"]').waitFor();
  });

  test('detail: the sign-in method by name, human times, no raw ISO', async () => {
    const facts = await page.locator('.facts').innerText();
    assert.match(facts, /Sign-in method\s+Token/);
    assert.doesNotMatch(facts, /\bbearer\b/);
    assert.doesNotMatch(facts, /\d{4}-\d\d-\d\dT\d\d:\d\d/, 'no ISO timestamps');
    assert.match(facts, /Added\s+just now/);
    await page.locator('section[aria-labelledby="used-by-h"]').getByText('No skill or agent has used this connection yet.').waitFor();
  });

  test('Replace key: the id, label and history stay; the new key is used and never comes back', async () => {
    accepted.add(ROTATED);
    await page.getByRole('button', { name: 'Replace key…' }).click();
    const form = page.getByRole('form', { name: 'Replace key' });
    await form.getByLabel('New key', { exact: true }).fill(ROTATED);
    await form.getByRole('button', { name: 'Replace key' }).click();
    await page.getByRole('status').filter({ hasText: 'Replaced the key of “Offline”' }).waitFor();
    const after = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home }));
    assert.deepEqual([after.id, after.label, after.state, after.secretHint], [id, 'Offline', 'active', `…${ROTATED.slice(-4)}`]);
    await page.locator('tr[data-action="update"]').waitFor();
    assert.ok((await page.locator('section[aria-labelledby="history-h"] tr[data-action="add"]').count()) === 1, 'the history from before the replacement is kept');
    await session.traffic.settle();
    for (const form of [...encodings(ROTATED), ...encodings(KEY)]) for (const r of session.traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with a key`);
  });

  test('logos: a service simple-icons has shows its logo; a connector without one its monogram', async () => {
    const add = await sophon(['connect', 'add', 'github-pat', '--label', 'Deploy', '--secret-stdin', '--no-test'], { home, stdin: `ghp_${'x'.repeat(36)}\n` });
    assert.equal(add.code, 0, add.stderr);
    await page.getByRole('link', { name: 'Connections' }).first().click();
    const gh = page.locator('li.conn-row', { hasText: 'Deploy' });
    await gh.waitFor();
    assert.equal(await gh.locator('.service-logo svg path').count(), 1);
    assert.equal(await gh.locator('.service-logo').getAttribute('data-logo'), 'github-pat');
    assert.match((await gh.locator('.service-logo path').getAttribute('fill')) ?? '', /^#[0-9A-F]{6}$/i);
    const local = page.locator(`li.conn-row[data-connection-id="${id}"]`);
    assert.equal(await local.locator('.service-icon').innerText(), 'LL');
    assert.equal(await local.locator('.service-logo').count(), 0);
  });

  test('expires soon: a key two days from its expiry is listed first with its badge, and its page says so', async () => {
    const deploy = json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home })).connections.find((c) => c.label === 'Deploy')!;
    const db = new Database(join(home, 'sophon.db'));
    try {
      db.prepare('UPDATE connections SET expires_at = ?, updated_at = updated_at + 1 WHERE id = ?').run(Date.now() + 2 * 86_400_000, deploy.id);
    } finally {
      db.close();
    }
    // No reload (it would sign this tab out): the dashboard notices the changed row and sends the list again.
    const first = page.locator('li.conn-row').first();
    await page.locator(`li.conn-row[data-connection-id="${deploy.id}"][data-attention="expires_soon"]`).waitFor();
    assert.equal(await first.getAttribute('data-connection-id'), deploy.id, 'what needs the person comes first');
    assert.equal(await first.locator('.badge').innerText(), 'Expires soon');
    assert.match(await first.locator('[data-col="expires"]').innerText(), /in 2 days/);
    assert.match(await page.locator('.summary').innerText(), /1 expiring soon/);
    await screenshotBoth(page, '41-list-expires-soon');
    await first.locator('a').click();
    assert.match(await page.locator('[data-fact="expiry-note"]').innerText(), /This key expires in 2 days/);
  });

  test('catalog: synonyms find services their names do not contain; OAuth services without a client say "Needs setup"', async () => {
    await page.goto(`${session.dashboard.origin}/#/add`);
    await heading().filter({ hasText: 'Add connection' }).waitFor();
    const groups = await page.locator('.group-title').allTextContents();
    assert.deepEqual(groups.slice(0, 2), ['LLM providers', 'Developer'], `most used first: ${groups}`);
    const search = page.getByRole('searchbox', { name: 'Search services' });
    const names = () => page.locator('.catalog-name').allInnerTexts();
    await search.fill('gpt');
    await page.locator('a[data-service-id="openai"]').waitFor();
    assert.ok(!(await names()).includes('Gmail'));
    await search.fill('claude');
    await page.locator('a[data-service-id="anthropic"]').waitFor();
    await search.fill('mail');
    for (const s of ['gmail', 'outlook-mail', 'email']) await page.locator(`a[data-service-id="${s}"]`).waitFor();
    assert.equal(await page.locator('a[data-service-id="gmail"] .catalog-badge').innerText(), 'Needs setup');
    assert.equal(await page.locator('a[data-service-id="email"] .catalog-badge').count(), 0);
    await screenshotBoth(page, '42-add-search-mail');
  });

  test('the add form: "Where do I get this key?" goes to the catalog’s page for it', async () => {
    await page.goto(`${session.dashboard.origin}/#/add/openai`);
    await heading().filter({ hasText: 'Connect OpenAI' }).waitFor();
    const link = page.getByRole('link', { name: 'Where do I get this key?' });
    assert.match((await link.getAttribute('href')) ?? '', /^https:\/\//);
    assert.equal(await link.getAttribute('target'), '_blank');
  });
});
