// Keyboard only, as a person without a mouse: from the empty list to Add, search the catalog, fill
// the form, connect, test, rename and remove — Tab, Shift+Tab, typing and Enter, never a click.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { openDashboardSession, type DashboardSession } from './dashboard-helpers';

const KEY = `sk-keys-${randomBytes(12).toString('hex')}`;

/** The focused element's accessible text: its aria-label, or its label's / its own text. */
async function focusedName(page: Page): Promise<string> {
  const f = page.locator(':focus');
  if ((await f.count()) === 0) return '';
  const aria = await f.getAttribute('aria-label');
  if (aria) return aria;
  const id = await f.getAttribute('id');
  if (id) {
    const label = page.locator(`label[for="${id}"]`);
    if ((await label.count()) > 0) return (await label.first().innerText()).trim();
  }
  return (await f.innerText()).trim();
}

/** Presses Tab (or Shift+Tab) until the focused element's name matches; fails after `max` presses. */
async function tabTo(page: Page, name: RegExp, { back = false, max = 40 } = {}): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const now = await focusedName(page);
    if (name.test(now)) return;
    seen.push(now);
  }
  throw new Error(`Tab never reached ${name}; focus went through: ${seen.join(' | ')}`);
}

test.describe('dashboard in Chromium: keyboard only, add → test → rename → remove', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let session: DashboardSession;
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let page: Page;
  const heading = () => page.getByRole('heading', { level: 1 });

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    api = await startUserApi(KEY, 'octo-keys');
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    session = await openDashboardSession(browser, home);
    page = session.page;
  });
  test.afterAll(async () => {
    await session?.close();
    await api?.close();
    await cleanup?.();
  });

  let id = '';
  test('add: Tab to "Add your first connection", search the catalog, Tab to the service, fill the form, Enter', async () => {
    await page.goto(session.dashboard.address);
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
    await tabTo(page, /^Add your first connection$/);
    await page.keyboard.press('Enter');
    await heading().filter({ hasText: 'Add connection' }).waitFor();
    // The search box has the focus on arrival.
    await page.keyboard.type('localapi');
    await page.getByRole('status').filter({ hasText: /^1 service$/ }).waitFor();
    await tabTo(page, /Local localapi/);
    await page.keyboard.press('Enter');
    await heading().filter({ hasText: 'Connect Local localapi' }).waitFor();
    await tabTo(page, /^Name/);
    await page.keyboard.type('Keys');
    await tabTo(page, /^Token$/);
    await page.keyboard.type(KEY);
    await page.keyboard.press('Enter');
    await heading().filter({ hasText: 'Keys' }).waitFor();
    id = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);
    assert.equal(json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).state, 'active');
  });

  test('test: Tab to Test, Enter, the result is announced', async () => {
    await tabTo(page, /^Test$/);
    await page.keyboard.press('Enter');
    await page.locator('.test-result[data-status="ok"]').waitFor();
  });

  test('rename: Tab to Rename…, the field takes the focus, type, Enter', async () => {
    await tabTo(page, /^Rename…$/);
    await page.keyboard.press('Enter');
    await page.getByLabel('New name').waitFor();
    assert.equal(await focusedName(page), 'New name', 'the new-name field has the focus');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Keyboard');
    await page.keyboard.press('Enter');
    await heading().filter({ hasText: 'Keyboard' }).waitFor();
    assert.equal(json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).label, 'Keyboard');
  });

  test('remove: Tab to Remove…, the dialog opens on "Keep it", Shift+Tab to remove, Enter; back on the empty list', async () => {
    await tabTo(page, /^Remove…$/);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Remove “Keyboard”?' });
    await dialog.waitFor();
    assert.equal(await focusedName(page), 'Keep it', 'the safe choice has the focus');
    await tabTo(page, /^Remove and revoke$/, { back: true, max: 3 });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
    assert.deepEqual(json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home })).connections, []);
  });
});
