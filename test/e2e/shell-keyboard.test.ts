// The dashboard by keyboard alone: Ctrl-K opens the command palette (a modal dialog with a combobox over
// a listbox), typing narrows it, the arrows move the active option, Enter goes there (a page, a
// connection, a service to add), Escape closes it and gives focus back; `/` puts the cursor in the
// page's search box, but not while typing in another field.
import assert from 'node:assert/strict';
import { test, type Page } from '@playwright/test';
import { openPage, signIn, startShell, type PageGlobals, type ShellFixture } from './shell-fixture';

test.describe('dashboard shell: command palette and the / key', () => {
  test.describe.configure({ mode: 'serial' });
  let f: ShellFixture;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    f = await startShell(browser);
    page = f.page;
    await signIn(f);
  });
  test.afterAll(async () => {
    await f?.close();
  });

  const palette = () => page.getByRole('dialog', { name: 'Command palette' });
  const combo = () => palette().getByRole('combobox');
  const options = () => palette().getByRole('listbox').getByRole('option');
  const selected = () => palette().getByRole('option', { selected: true });
  const activeId = () => combo().getAttribute('aria-activedescendant');

  async function openPalette(): Promise<void> {
    await page.keyboard.press('Control+k');
    await palette().waitFor();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('role') === 'combobox');
  }

  test('Ctrl-K opens an accessible dialog with the focus in its combobox, listing pages and connections', async () => {
    await page.getByRole('heading', { level: 1, name: 'Connections' }).focus();
    await openPalette();
    assert.equal(await combo().getAttribute('aria-expanded'), 'true');
    const listId = await palette().getByRole('listbox').getAttribute('id');
    assert.equal(await combo().getAttribute('aria-controls'), listId);
    const texts = await options().allInnerTexts();
    for (const name of ['Connections', 'Audit', 'Settings', 'Work API', 'Personal API']) assert.ok(texts.some((t) => t.startsWith(name)), `${name} offered: ${texts.join(' | ')}`);
    // The first option is active, and the combobox says which one.
    assert.equal(await selected().count(), 1);
    assert.equal(await activeId(), await selected().getAttribute('id'));
  });

  test('arrow keys move the active option (wrapping), Escape closes and focus goes back', async () => {
    const first = await activeId();
    await page.keyboard.press('ArrowDown');
    const second = await activeId();
    assert.notEqual(second, first);
    assert.equal(await selected().getAttribute('id'), second);
    await page.keyboard.press('ArrowUp');
    assert.equal(await activeId(), first);
    await page.keyboard.press('ArrowUp');
    assert.equal(await activeId(), await options().last().getAttribute('id'), 'up from the first wraps to the last');
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    assert.equal(await activeId(), first);
    await page.keyboard.press('Escape');
    await palette().waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent), 'Connections', 'focus back on what had it');
    assert.equal(new URL(page.url()).hash, '', 'nowhere else');
  });

  test('typing narrows the list; Enter goes to the page', async () => {
    await openPalette();
    await page.keyboard.type('aud');
    const shown = await options().allInnerTexts();
    assert.ok(shown.length >= 1 && shown.every((t) => /aud/i.test(t)), `only what matches: ${shown.join(' | ')}`);
    assert.match(await selected().innerText(), /^Audit/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/audit');
    assert.equal(await palette().isVisible(), false);
  });

  test('a connection by its label, and a service to add by its name', async () => {
    await openPalette();
    await page.keyboard.type('personal');
    assert.match(await selected().innerText(), /^Personal API/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Personal API' }).waitFor();
    assert.equal(new URL(page.url()).hash, `#/connection/${f.connections['Personal API']!.id}`);

    await openPalette();
    await page.keyboard.type('add local');
    await palette().getByRole('option', { name: /Add Local localapi/ }).waitFor();
    assert.match(await selected().innerText(), /^Add Local localapi/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/add\/localapi$/);
  });

  test('nothing matching says so', async () => {
    await openPalette();
    await page.keyboard.type('zzzz no such thing');
    assert.equal(await options().count(), 0);
    await palette().getByText('Nothing matches').waitFor();
    assert.equal(await combo().getAttribute('aria-activedescendant'), null);
    await page.keyboard.press('Escape');
    await palette().waitFor({ state: 'hidden' });
  });

  test('/ focuses the page’s search box; typed in another field, it is just a character', async () => {
    await openPage(page, '#/connections', 'Connections');
    const search = page.getByRole('main').getByRole('searchbox');
    await page.getByRole('heading', { level: 1, name: 'Connections' }).focus();
    await page.keyboard.press('/');
    assert.equal(await search.evaluate((el) => (el as unknown) === (globalThis as unknown as PageGlobals).document.activeElement), true, '/ put the cursor in the search box');
    assert.equal(await search.inputValue(), '', 'and typed nothing into it');
    await page.keyboard.type('work');
    await page.keyboard.press('/');
    assert.equal(await search.inputValue(), 'work/', 'in a field, / is typed');
  });
});
