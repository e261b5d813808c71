// The browser dashboard end to end: the real `sophon dashboard` (its own process, a temporary
// SOPHON_HOME, the master key in the real gnome-keyring) driven in Debian's Chromium the way a person
// uses it — add an API-key connection against a local API, test, rename, read its history and the audit
// trail, look at models and the vault, remove it — and, over the whole run, the key typed into the form
// never comes back in any HTTP response.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { encodings, recordEvents, recordTraffic, screenshot, screenshotBoth, openDashboardSession, type Dashboard, type DashboardSession } from './dashboard-helpers';

type Keytar = typeof import('keytar');
const keytar = createRequire(import.meta.url)('keytar') as Keytar;
const KEYCHAIN_SERVICE = `sophon-e2e-${randomBytes(6).toString('hex')}`;
const CANARY = `sk-canary-${randomBytes(18).toString('hex')}`;

test.describe('dashboard in Chromium: an API-key connection from add to remove (keychain-protected vault)', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  const env = { SOPHON_KEYCHAIN_SERVICE: KEYCHAIN_SERVICE };
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let session: DashboardSession;
  let dashboard: Dashboard;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;
  let events: ReturnType<typeof recordEvents>;

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'keychain' } } }));
    api = await startUserApi(CANARY, 'octo-e2e');
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    session = await openDashboardSession(browser, home, { env });
    ({ dashboard, page, traffic, events } = session);
  });
  test.afterAll(async () => {
    await session?.close();
    await api?.close();
    for (const c of await keytar.findCredentials(KEYCHAIN_SERVICE)) await keytar.deletePassword(KEYCHAIN_SERVICE, c.account);
    await cleanup?.();
  });

  const heading = () => page.getByRole('heading', { level: 1 });

  test('opens from the printed address; the token leaves the address bar; the empty state points to Add', async () => {
    await page.goto(dashboard.address);
    await heading().filter({ hasText: 'Connections' }).waitFor();
    assert.ok(!page.url().includes(dashboard.token), `the token is gone from the address bar: ${page.url()}`);
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add your first connection' }).count(), 1);
    await screenshotBoth(page, '01-connections-empty');
  });

  test('add: pick the service from the searchable catalog, get its form', async () => {
    await page.getByRole('link', { name: 'Add connection' }).click();
    await heading().filter({ hasText: 'Add connection' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search services' }).fill('localapi');
    await page.getByRole('status').filter({ hasText: /^1 service$/ }).waitFor();
    await screenshotBoth(page, '02-add-catalog');
    await page.getByRole('link', { name: /Local localapi/ }).click();
    await heading().filter({ hasText: 'Connect Local localapi' }).waitFor();
    assert.equal(await page.getByLabel('Token').getAttribute('type'), 'password', 'the key is typed into a password field');
    await screenshotBoth(page, '03-add-form');
  });

  test('a rejected key: an error a person can act on, the field emptied, nothing stored', async () => {
    await page.getByLabel('Token').fill('sk-wrong-0123456789abcdef');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /The service refused the credential\. Check that it is correct/);
    assert.match(await alert.innerText(), /untick “Test the connection before saving it”/);
    assert.doesNotMatch(await alert.innerText(), /--no-test/, 'no command-line flag in a browser form');
    assert.equal(await page.getByLabel('Token').inputValue(), '', 'the typed secret is not kept');
    await screenshot(page, '04-add-rejected-light');
    assert.deepEqual(json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home, env })).connections, []);
  });

  let id = '';
  test('the right key: connected, tested, and shown with its state and key hint only', async () => {
    await page.getByLabel('Name').fill('Work');
    await page.getByLabel('Token').fill(CANARY);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await heading().filter({ hasText: 'Work' }).waitFor();
    assert.match(await page.getByRole('status').filter({ hasText: 'Connected' }).innerText(), /Connected “Work”\. Test passed/);
    id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    const fromCli = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home, env }));
    assert.deepEqual([fromCli.label, fromCli.state, fromCli.account], ['Work', 'active', 'octo-e2e']);
    assert.equal(await page.getByText(fromCli.secretHint!, { exact: true }).count(), 1, 'the last four characters are shown');
    assert.ok(api.seen.some((r) => r.headers.authorization === `Bearer ${CANARY}`), 'the key reached the local API');
    await screenshotBoth(page, '05-detail');
  });

  test('test: the result is shown in words', async () => {
    const before = api.seen.length;
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const result = page.locator('.test-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-status'), 'ok');
    assert.match(await result.innerText(), /^Test passed/);
    assert.equal(api.seen.length, before + 1, 'one real test call');
  });

  test('rename: the new label everywhere, the id kept', async () => {
    await page.getByRole('button', { name: 'Rename…' }).click();
    await page.getByLabel('New name').fill('Production');
    await page.getByRole('button', { name: 'Save name' }).click();
    await heading().filter({ hasText: 'Production' }).waitFor();
    const fromCli = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home, env }));
    assert.deepEqual([fromCli.id, fromCli.label], [id, 'Production']);
  });

  test('its history: add, test and rename rows, newest first', async () => {
    await page.locator('tr[data-action="rename"]').waitFor();
    const actions = await page.locator('section[aria-labelledby="history-h"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.equal(actions[0], 'rename', `newest first: ${actions}`);
    for (const a of ['add', 'test', 'rename']) assert.ok(actions.includes(a), `${a} in ${actions}`);
    await screenshotBoth(page, '06-detail-history');
  });

  test('history is paged (10 a page): more tests push the add to the next page', async () => {
    for (let i = 0; i < 8; i++) {
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      await page.getByRole('button', { name: 'Test', exact: true }).and(page.locator(':enabled')).waitFor();
    }
    const history = page.locator('section[aria-labelledby="history-h"]');
    const pager = history.getByRole('navigation', { name: 'Audit pages' });
    await pager.getByText('1–10 of 11').waitFor();
    assert.equal(await history.locator('tbody tr').count(), 10);
    await pager.getByRole('button', { name: 'Older' }).click();
    await pager.getByText('11–11 of 11').waitFor();
    assert.deepEqual(await history.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))), ['add'], 'the oldest row is the add');
    assert.equal(await pager.getByRole('button', { name: 'Older' }).isDisabled(), true);
    await pager.getByRole('button', { name: 'Newer' }).click();
    await pager.getByText('1–10 of 11').waitFor();
  });

  test('audit: newest first, filtered by skill, connection and time range', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await heading().filter({ hasText: 'Audit' }).waitFor();
    const table = page.getByRole('table');
    await table.waitFor();
    const all = await table.locator('tbody tr').count();
    assert.ok(all >= 4, `rows: ${all}`);
    await screenshotBoth(page, '07-audit');
    // A skill that never ran: no rows, said in words.
    await page.getByLabel('Skill').fill('no-such-skill');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No audit rows match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Connection').selectOption(id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await table.waitFor();
    const cells = await table.locator('tbody tr td:nth-child(4)').allInnerTexts();
    assert.ok(cells.length >= 3 && cells.every((c) => c === `Production (${id})`), `only this connection, by label and id: ${cells}`);
    // A time range that ends before anything happened.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('To').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No audit rows match these filters.').waitFor();
  });

  test('models: the LLM providers as their own page', async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await heading().filter({ hasText: 'Models' }).waitFor();
    // The providers come from services.list, after the heading: wait for them before reading.
    await page.getByRole('list', { name: 'Providers' }).locator('.provider-name').first().waitFor();
    const providers = await page.getByRole('list', { name: 'Providers' }).locator('.provider-name').allInnerTexts();
    for (const name of ['OpenRouter', 'Anthropic', 'OpenAI', 'Ollama']) assert.ok(providers.some((p) => p.includes(name)), `${name} in ${providers}`);
    assert.ok(providers.some((p) => /Gemini/.test(p)), `Gemini in ${providers}`);
    await screenshotBoth(page, '08-models');
  });

  test('vault: status names the keychain; verify opens every credential', async () => {
    await page.getByRole('link', { name: 'Vault' }).click();
    await heading().filter({ hasText: 'Vault' }).waitFor();
    await page.getByTestId('vault-count').waitFor();
    assert.equal(await page.getByTestId('vault-count').innerText(), '1');
    assert.match(await page.locator('.facts').first().innerText(), /keychain/);
    // Where to look when something went wrong in the background: the path only, never log lines.
    assert.equal(await page.getByTestId('vault-log-file').innerText(), join(home, 'logs', 'sophon.log'));
    await page.getByRole('button', { name: 'Verify every credential' }).click();
    await page.getByTestId('verify-summary').waitFor();
    assert.equal(await page.getByTestId('verify-summary').innerText(), '1 of 1 credential open correctly.');
    await screenshotBoth(page, '09-vault');
  });

  test('the list: one row per connection, column labels once, searchable, state at a glance; keyboard reaches the connection', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    await heading().filter({ hasText: 'Connections' }).waitFor();
    const row = page.locator('li.conn-row', { hasText: 'Production' });
    await row.waitFor();
    assert.match(await row.innerText(), /Production[\s\S]*Local localapi[\s\S]*Active/);
    assert.equal(await page.locator('.conn-head').count(), 1);
    await screenshotBoth(page, '10-connections-list');
    await page.getByRole('searchbox', { name: 'Search connections' }).fill('nothing-like-this');
    await page.getByText('No connection matches').waitFor();
    await page.getByRole('searchbox', { name: 'Search connections' }).fill('prod');
    await row.waitFor();
    // Keyboard only: from the search box, Tab reaches the connection's link; Enter opens it.
    await page.getByRole('searchbox', { name: 'Search connections' }).focus();
    let focused = '';
    for (let i = 0; i < 5 && !focused.includes('Production'); i++) {
      await page.keyboard.press('Tab');
      focused = (await page.locator(':focus').getAttribute('aria-label')) ?? '';
    }
    assert.match(focused, /^Production, Local localapi/);
    await page.keyboard.press('Enter');
    await heading().filter({ hasText: 'Production' }).waitFor();
  });

  test('remove: a confirmation that says it also revokes; then gone from the list and the vault', async () => {
    await page.getByRole('button', { name: 'Remove…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove “Production”?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /revokes it at Local localapi/);
    await screenshotBoth(page, '11-remove-dialog');
    // Escape keeps it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Remove…' }).click();
    await dialog.getByRole('button', { name: 'Remove and revoke' }).click();
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await page.getByText('Removed “Production”').waitFor();
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
    assert.deepEqual(json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home, env })).connections, []);
    const rows = json<{ rows: { action: string }[] }>(await sophon(['audit', '--connection', id, '--json'], { home, env })).rows.map((r) => r.action);
    assert.ok(rows.includes('remove'), `${rows}`);
  });

  test('canary: the key typed into the form is in no HTTP response body or event of the whole run', async () => {
    await traffic.settle();
    const apiBodies = traffic.responses.filter((r) => r.url.includes('/api/'));
    assert.ok(apiBodies.length >= 20, `the recorder saw the run (${apiBodies.length} API responses)`);
    assert.ok(traffic.requests.some((b) => b.includes(CANARY)), 'the recorder sees the key where it does go: the add request');
    assert.ok(events.text().includes('connections.changed'), 'the event stream was recorded');
    for (const form of encodings(CANARY)) {
      for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with the key`);
      assert.ok(!events.text().includes(form), 'an event carried the key');
      assert.ok(!dashboard.stderr().includes(form), 'the dashboard printed the key');
    }
  });
});
