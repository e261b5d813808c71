// The Audit page end to end, in the parts dashboard.test.ts does not reach: the main table's Older /
// Newer pager over more than one page of real rows, the admin-only User filter (another user's rows
// for the admin, no such field and only their own rows for that user), and From / To windows typed
// into the datetime-local fields in a browser whose time zone is not the server's. Every row is made
// through the REST API against the real `sophon dashboard` and a local HTTP API, and the page is checked
// against what the REST API itself answers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Browser, type Page, type Route } from '@playwright/test';
import type { AuditRow } from '../../shared/connections';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { screenshot, openDashboardSession, type Dashboard, type DashboardSession } from './dashboard-helpers';

const KEY = `sk-audit-${randomBytes(18).toString('hex')}`;
/** Far from UTC (the machine's zone) and not on the hour, so a wrong local-time conversion cannot pass. */
const BROWSER_ZONE = 'Asia/Kathmandu';

test.describe('dashboard in Chromium: the audit page’s pager, user filter and time range', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let session: DashboardSession;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;

  /** One REST call as the renderer makes it; the value, or an error with the server's message. */
  async function rest<T>(token: string, operation: string, input: object): Promise<T> {
    const res = await fetch(`${dashboard.origin}/api/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
    if (!body.ok) throw new Error(`${operation}: ${body.error.code} ${body.error.message}`);
    return body.value;
  }
  const auditOf = (token: string, input: object) => rest<{ rows: AuditRow[]; total: number }>(token, 'audit.query', input);

  test.beforeAll(async ({ browser: runnerBrowser }) => {
    ({ home, cleanup } = await tempHome());
    api = await startUserApi(KEY, 'octo-audit');
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    session = await openDashboardSession(runnerBrowser, home, { context: { timezoneId: BROWSER_ZONE } });
    ({ dashboard, browser, page } = session);
  });
  test.afterAll(async () => {
    await session?.close();
    await api?.close();
    await cleanup?.();
  });

  const heading = () => page.getByRole('heading', { level: 1 });
  const pager = () => page.getByRole('navigation', { name: 'Audit pages' });
  const rowsOf = (p: Page) => p.getByRole('table').locator('tbody tr');
  /** The rows on screen as "time action", the same shape as `asShown` makes of API rows. */
  const shownRows = (p: Page) => rowsOf(p).evaluateAll((trs) => trs.map((tr) => `${tr.querySelector('time')?.getAttribute('datetime')} ${tr.getAttribute('data-action')}`));
  const asShown = (rows: AuditRow[]) => rows.map((r) => `${r.at} ${r.action}`);
  const userCells = (p: Page) => rowsOf(p).locator('td:nth-child(6)').allInnerTexts();

  async function openAudit(p: Page): Promise<void> {
    await p.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
    await p.getByRole('heading', { level: 1 }).filter({ hasText: 'Audit' }).waitFor();
  }

  let connectionId = '';
  test('more than one page of rows: the first page is the newest 50; Older and Newer move by 50 with the right range', async () => {
    const added = await rest<{ connection: { id: string } }>(dashboard.token, 'connections.add', { serviceId: 'localapi', label: 'Pager', secret: KEY });
    connectionId = added.connection.id;
    for (let i = 0; i < 55; i++) await rest(dashboard.token, 'connections.test', { connection: connectionId });
    const first = await auditOf(dashboard.token, { limit: 50, offset: 0 });
    const second = await auditOf(dashboard.token, { limit: 50, offset: 50 });
    const total = first.total;
    assert.ok(total > 50 && total <= 100, `two pages of rows: ${total}`);
    assert.equal(second.rows.length, total - 50);

    await page.goto(dashboard.address);
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await openAudit(page);
    await pager().getByText(`1–50 of ${total}`).waitFor();
    assert.deepEqual(await shownRows(page), asShown(first.rows), 'page 1 is the newest 50, newest first');
    assert.equal(await pager().getByRole('button', { name: 'Newer' }).isDisabled(), true, 'nothing is newer than page 1');
    assert.equal(await pager().getByRole('button', { name: 'Older' }).isEnabled(), true);
    await screenshot(page, '21-audit-page-1-light');

    // Hold the next page's answer to see what the page says while it is on its way.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    let asked: () => void = () => undefined;
    const requested = new Promise<void>((resolve) => (asked = resolve));
    await page.route('**/api/audit.query', async (route: Route) => {
      seen.push(route.request().postData() ?? '');
      asked();
      await held;
      await route.continue();
    });
    try {
      await pager().getByRole('button', { name: 'Older' }).click();
      await requested;
      const waiting = await pager().getByRole('status').innerText();
      assert.doesNotMatch(waiting, /^51–/, `while page 2 loads, the pager does not put page 2's numbers on page 1's rows: "${waiting}"`);
      assert.equal(await page.locator('.audit-table').getAttribute('aria-busy'), 'true', 'the table says it is loading');
      assert.deepEqual(
        await pager().getByRole('button').evaluateAll((bs) => bs.map((b) => b.hasAttribute('disabled') || b.getAttribute('aria-disabled') === 'true')),
        [true, true],
        'neither button moves again until the page is in',
      );
      // Focus stays on the button pressed (a disabled button would drop it to the page).
      assert.deepEqual(await pager().locator('button:focus').allInnerTexts(), ['Older']);
    } finally {
      release();
      await page.unrouteAll({ behavior: 'wait' });
    }
    assert.deepEqual(
      seen.map((b) => JSON.parse(b) as { limit: number; offset: number }).map((b) => [b.limit, b.offset]),
      [[50, 50]],
    );

    await pager().getByText(`51–${total} of ${total}`).waitFor();
    assert.deepEqual(await shownRows(page), asShown(second.rows), 'page 2 is the next rows, down to the oldest (the add)');
    assert.equal(second.rows.at(-1)?.action, 'add');
    assert.equal(await pager().getByRole('button', { name: 'Older' }).isDisabled(), true, 'nothing is older than the last page');
    assert.equal(await pager().getByRole('button', { name: 'Newer' }).isEnabled(), true);
    await screenshot(page, '22-audit-page-2-light');

    await pager().getByRole('button', { name: 'Newer' }).click();
    await pager().getByText(`1–50 of ${total}`).waitFor();
    assert.deepEqual(await shownRows(page), asShown(first.rows), 'Newer goes back to the newest 50');
    assert.equal(await pager().getByRole('button', { name: 'Newer' }).isDisabled(), true);
  });

  let bobToken = '';
  let bobRows: AuditRow[] = [];
  test('User filter (admins): another user’s rows appear for that user only, and not without the filter', async () => {
    const created = json<{ token: string; userId: string; admin: boolean }>(await sophon(['api-token', 'create', '--user', 'bob', '--json'], { home }));
    assert.deepEqual([created.userId, created.admin], ['bob', false]);
    bobToken = created.token;
    const bobs = await rest<{ connection: { id: string } }>(bobToken, 'connections.add', { serviceId: 'localapi', label: 'Bob key', secret: KEY });
    for (let i = 0; i < 2; i++) await rest(bobToken, 'connections.test', { connection: bobs.connection.id });
    const mine = await auditOf(bobToken, { limit: 100 });
    bobRows = mine.rows;
    assert.ok(bobRows.length >= 3 && bobRows.every((r) => r.userId === 'bob'), `bob's own rows: ${asShown(bobRows)}`);

    await page.getByLabel('User').fill('bob');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await pager().getByText(`1–${bobRows.length} of ${bobRows.length}`).waitFor();
    assert.deepEqual(await shownRows(page), asShown(bobRows), "exactly bob's rows");
    assert.deepEqual(new Set(await userCells(page)), new Set(['bob']));
    await screenshot(page, '23-audit-user-filter-light');

    // Without the filter an admin sees their own trail: bob's rows are not mixed in.
    await page.getByRole('button', { name: 'Clear' }).click();
    await pager().getByText(/^1–50 of \d+$/).waitFor();
    assert.deepEqual(new Set(await userCells(page)), new Set(['default']));

    // A user nobody is: no rows, said in words.
    await page.getByLabel('User').fill('nobody');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No audit rows match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
  });

  test('Connection filter (admins): other users’ connections are offered by user; one picked shows its rows, labelled', async () => {
    const bobConnection = bobRows.find((r) => r.connectionId)!.connectionId!;
    const expected = bobRows.filter((r) => r.connectionId === bobConnection);
    // Open the page again (bob's connection was made after it was opened).
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Connections' }).click();
    await heading().filter({ hasText: 'Connections' }).waitFor();
    await openAudit(page);
    const select = page.getByLabel('Connection');
    await select.locator('optgroup[label="bob’s"] option', { hasText: 'Bob key' }).waitFor({ state: 'attached' });
    assert.ok((await select.locator('optgroup[label="Yours"] option').count()) >= 1, 'the admin’s own connections come first');
    await select.selectOption(bobConnection);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await pager().getByText(`1–${expected.length} of ${expected.length}`).waitFor();
    assert.deepEqual(await shownRows(page), asShown(expected), "the rows of bob's connection, without naming bob");
    assert.deepEqual(new Set(await rowsOf(page).locator('td:nth-child(4)').allInnerTexts()), new Set([`Bob key (${bobConnection})`]));
    await page.getByRole('button', { name: 'Clear' }).click();
  });

  test('a user who is not an admin: no User field, and only their own rows', async () => {
    const bob = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const bobPage = await bob.newPage();
      await bobPage.goto(`${dashboard.origin}/#token=${bobToken}`);
      await bobPage.getByRole('heading', { level: 1 }).filter({ hasText: 'Connections' }).waitFor();
      await openAudit(bobPage);
      await bobPage.getByRole('navigation', { name: 'Audit pages' }).getByText(`1–${bobRows.length} of ${bobRows.length}`).waitFor();
      assert.equal(await bobPage.getByLabel('User').count(), 0, 'no User field for a non-admin');
      const labels = await bobPage.getByRole('form', { name: 'Filter the audit trail' }).locator('label').allInnerTexts();
      assert.deepEqual(labels, ['Connection', 'Agent', 'Skill', 'From', 'To'], 'the filters a non-admin has');
      assert.deepEqual(await shownRows(bobPage), asShown(bobRows), 'only his own rows');
      assert.deepEqual(new Set(await userCells(bobPage)), new Set(['bob']));
      await screenshot(bobPage, '24-audit-non-admin-light');
    } finally {
      await bob.close();
    }
  });

  /** A browser-local datetime-local value (to the second) for an instant, formatted in the page's own zone. */
  const localValue = (ms: number) =>
    page.evaluate((t) => {
      // No named helpers in here: the test's transpiler would wrap them in a function the page lacks.
      const d = new Date(t);
      const [y, mo, da, h, mi, se] = [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0'));
      return `${y}-${mo}-${da}T${h}:${mi}:${se}`;
    }, ms);
  const untilPast = async (ms: number) => {
    while (Date.now() <= ms) await new Promise((r) => setTimeout(r, ms + 1 - Date.now()));
  };

  test('From later than every row: no rows, said in words', async () => {
    assert.notEqual(await page.evaluate(() => new Date().getTimezoneOffset()), 0, 'the browser is not on UTC');
    const latest = (await auditOf(dashboard.token, { limit: 1 })).rows[0]!;
    await page.getByLabel('From').fill(await localValue(Date.parse(latest.at) + 60_000));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No audit rows match these filters.').waitFor();
    await screenshot(page, '25-audit-from-after-everything-light');
    await page.getByRole('button', { name: 'Clear' }).click();
  });

  test('a From / To window typed to the second holds exactly the rows made inside it', async () => {
    // Rows in three separate seconds: before the window, inside it, after it.
    const last = (await auditOf(dashboard.token, { limit: 1 })).rows[0]!;
    const windowStart = Math.floor(Date.parse(last.at) / 1000) * 1000 + 1000;
    await untilPast(windowStart);
    for (let i = 0; i < 3; i++) await rest(dashboard.token, 'connections.test', { connection: connectionId });
    const inside = (await auditOf(dashboard.token, { since: new Date(windowStart).toISOString(), limit: 100 })).rows;
    assert.equal(inside.length, 3);
    // The window ends with the second the last of them was made in, that second included.
    const windowEnd = Math.floor(Date.parse(inside[0]!.at) / 1000) * 1000;
    await untilPast(windowEnd + 1000);
    for (let i = 0; i < 2; i++) await rest(dashboard.token, 'connections.test', { connection: connectionId });
    const everything = await auditOf(dashboard.token, { limit: 1 });

    await page.getByLabel('From').fill(await localValue(windowStart));
    await page.getByLabel('To').fill(await localValue(windowEnd));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await pager().getByText('1–3 of 3').waitFor();
    assert.deepEqual(await shownRows(page), asShown(inside), 'the three rows of the window, none before or after');
    await screenshot(page, '26-audit-time-window-light');

    // From alone: the window's rows and the two made after it.
    await page.getByLabel('To').fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await pager().getByText('1–5 of 5').waitFor();
    // To alone: everything up to the window's end.
    await page.getByLabel('From').fill('');
    await page.getByLabel('To').fill(await localValue(windowEnd));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await pager().getByText(`1–50 of ${everything.total - 2}`).waitFor();
  });
});
