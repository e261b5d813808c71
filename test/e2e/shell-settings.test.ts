// The Settings page against the real `sophon dashboard`: every value it shows is the one the REST API
// (settings.get, vault.status, services.list) answers for a home with its own broker settings and one
// OAuth client; the theme picked there is written to appsettings.json, survives a reload, and reaches a
// browser that never saw it. Also: each page's window title, and an unknown address says "not found".
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';
import type { Out } from '../../shared/contract';
import { openPage, signIn, startShell, type PageElement, type PageGlobals, type ShellFixture } from './shell-fixture';

test.describe('dashboard shell: Settings, theme, titles, not found', () => {
  test.describe.configure({ mode: 'serial' });
  let f: ShellFixture;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    f = await startShell(browser, { settings: { Broker: { Port: 47123, TokenTtlSeconds: 600, Workers: 1 }, OAuth: { gmail: { ClientId: 'gmail-client.example' } } } });
    page = f.page;
    await signIn(f);
  });
  test.afterAll(async () => {
    await f?.close();
  });

  /** The settings card's facts as { term: definition }. */
  const facts = (title: string) =>
    page
      .getByRole('region', { name: title })
      .locator('dl.facts')
      .evaluate((dl) => {
        const out: Record<string, string> = {};
        for (const dt of dl.querySelectorAll('dt')) out[dt.textContent ?? ''] = (dt.nextElementSibling as unknown as PageElement | null)?.innerText.trim() ?? '';
        return out;
      });

  test('the sidebar leads to Settings, which shows the real vault, broker and file values', async () => {
    const { settings } = await f.rest<Out<'settings.get'>>('settings.get', {});
    const status = await f.rest<Out<'vault.status'>>('vault.status', {});
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/settings');

    const vault = await facts('Vault');
    assert.match(vault['Key protector']!, new RegExp(`^${status.keyProtector.kind}\\s+reachable$`));
    assert.equal(status.keyProtector.kind, 'file');
    assert.equal(vault['Key location'], status.keyProtector.location);
    assert.equal(vault['Credentials folder'], status.vaultDir);
    assert.equal(vault['Data folder'], f.home);
    assert.equal(vault['Credentials stored'], '2');

    const broker = await facts('Broker');
    assert.equal(settings.broker.port, 47123);
    assert.equal(broker['Port of sophon broker serve'], '47123');
    assert.equal(broker['Broker token lifetime'], '10 min');
    assert.equal(broker['Worker processes'], '1');
    assert.equal(broker['Largest request'], '1 MB', 'the default');

    const files = await facts('Files');
    assert.equal(files['Settings file'], join(f.home, 'config', 'appsettings.json'));
    assert.equal(files['Log file'], join(f.home, 'logs', 'sophon.log'));
    assert.equal(files['Log file'], settings.logFile);
  });

  test('OAuth sign-in lists every OAuth service of the catalog, whether it has a client, and links to its setup', async () => {
    const { services } = await f.rest<Out<'services.list'>>('services.list', {});
    const oauth = services.filter((s) => s.authMethod === 'oauth2');
    const list = page.getByRole('list', { name: 'OAuth services' });
    const rows = list.getByRole('listitem');
    assert.equal(await rows.count(), oauth.length);
    assert.deepEqual((await rows.evaluateAll((li) => li.map((l) => l.getAttribute('data-service')))).sort(), oauth.map((s) => s.id).sort());
    const gmail = list.locator('[data-service="gmail"]');
    assert.match(await gmail.innerText(), /Client registered/);
    assert.equal(await gmail.getByRole('link').getAttribute('href'), '#/add/gmail');
    const calendar = list.locator('[data-service="google-calendar"]');
    assert.match(await calendar.innerText(), /Needs setup/);
    await calendar.getByRole('link', { name: /Set up/ }).click();
    await page.waitForURL(/#\/add\/google-calendar$/);
    await openPage(page, '#/settings', 'Settings');
  });

  const background = (p: Page) => p.evaluate(() => (globalThis as unknown as PageGlobals).getComputedStyle((globalThis as unknown as PageGlobals).document.body).backgroundColor);
  const LIGHT_BG = 'rgb(246, 247, 249)';
  const DARK_BG = 'rgb(17, 20, 24)';

  test('theme: Dark is applied at once, written to appsettings.json, and kept over a reload', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    const group = page.getByRole('group', { name: 'Theme' });
    assert.equal(await group.getByRole('radio', { name: 'Same as the system' }).isChecked(), true, 'system by default');
    assert.equal(await background(page), LIGHT_BG);
    await group.getByRole('radio', { name: 'Dark' }).check();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme === 'dark');
    assert.equal(await background(page), DARK_BG);
    // Saved by the core: the file and settings.get say so.
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('fieldset[aria-busy="true"]') === null);
    const file = JSON.parse(await readFile(join(f.home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { Ui?: { Theme?: string }; Broker: { Port: number } } };
    assert.equal(file.Sophon.Ui?.Theme, 'dark');
    assert.equal(file.Sophon.Broker.Port, 47123, 'the rest of the file is kept');
    assert.equal((await f.rest<Out<'settings.get'>>('settings.get', {})).settings.ui.theme, 'dark');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    assert.equal(await background(page), DARK_BG, 'dark from the first paint after a reload');
    assert.equal(await page.getByRole('group', { name: 'Theme' }).getByRole('radio', { name: 'Dark' }).isChecked(), true);
  });

  test('theme: a browser that never picked one shows the install’s (dark) once signed in', async () => {
    const other = await f.session.browser.newContext({ colorScheme: 'light' });
    try {
      const p = await other.newPage();
      await signIn(f, p);
      await p.waitForFunction(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme === 'dark');
      assert.equal(await background(p), DARK_BG);
    } finally {
      await other.close();
    }
  });

  test('theme: "Same as the system" follows the OS again', async () => {
    await page.getByRole('group', { name: 'Theme' }).getByRole('radio', { name: 'Same as the system' }).check();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme === undefined);
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await background(page), DARK_BG);
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await background(page), LIGHT_BG);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('fieldset[aria-busy="true"]') === null);
    assert.equal((await f.rest<Out<'settings.get'>>('settings.get', {})).settings.ui.theme, 'system');
  });

  test('each page has its own window title', async () => {
    const id = f.connections['Work API']!.id;
    const pages: [string, string | RegExp, string][] = [
      ['#/connections', 'Connections', 'Connections — Sophon'],
      ['#/add', /Add/, 'Add connection — Sophon'],
      [`#/connection/${id}`, 'Work API', 'Work API — Sophon'],
      ['#/audit', 'Audit', 'Audit — Sophon'],
      ['#/models', /Models/, 'Models — Sophon'],
      ['#/vault', 'Vault', 'Vault — Sophon'],
      ['#/settings', 'Settings', 'Settings — Sophon'],
    ];
    for (const [hash, heading, title] of pages) {
      await openPage(page, hash, heading);
      await page.waitForFunction((t) => (globalThis as unknown as PageGlobals).document.title === t, title);
    }
  });

  test('an unknown address says it is not found (it does not show Connections)', async () => {
    await openPage(page, '#/no-such-page', 'Page not found');
    assert.equal(await page.title(), 'Not found — Sophon');
    assert.match(await page.getByRole('main').innerText(), /no page at #\/no-such-page/);
    assert.equal(await page.getByRole('heading', { level: 1, name: 'Connections' }).count(), 0);
    await page.getByRole('main').getByRole('link', { name: 'Go to your connections' }).click();
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
  });
});
