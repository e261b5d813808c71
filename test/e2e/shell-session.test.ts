// The dashboard's sign-in for the tab's life: F5 keeps the session (the token is in the tab's
// sessionStorage, never in the address bar), a new tab without the address is not signed in and says
// exactly how to get back in, and a token the server refuses is dropped from the tab, not retried.
import assert from 'node:assert/strict';
import { test, type Page } from '@playwright/test';
import { openPage, signIn, startShell, type PageGlobals, type ShellFixture } from './shell-fixture';

test.describe('dashboard shell: the session survives a reload, and only that tab has it', () => {
  test.describe.configure({ mode: 'serial' });
  let f: ShellFixture;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    f = await startShell(browser);
    page = f.page;
  });
  test.afterAll(async () => {
    await f?.close();
  });

  const stored = (p: Page) => p.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('sophon.dashboard.token'));

  test('F5 on a page keeps the tab signed in, on the same page, with nothing in the address', async () => {
    await signIn(f);
    assert.equal(new URL(page.url()).hash, '');
    await openPage(page, '#/audit', 'Audit');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    await page.getByText('Signed in as').waitFor();
    assert.equal(new URL(page.url()).hash, '#/audit');
    assert.ok(!page.url().includes(f.session.dashboard.token));
    assert.equal(await page.getByRole('alert').count(), 0);
    // Twice: the kept token is kept again.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    assert.equal(await stored(page), f.session.dashboard.token, 'in this tab’s sessionStorage');
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.getItem('sophon.dashboard.token')), null, 'never in localStorage');
  });

  test('a new tab without the address is not signed in, and says how to get back in', async () => {
    const tab = await f.session.context.newPage();
    try {
      await tab.goto(`${f.session.dashboard.origin}/`);
      const alert = tab.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /no longer signed in/);
      const advice = await tab.locator('.sign-in-advice').innerText();
      assert.ok(advice.includes(`${f.session.dashboard.origin}/#token=…`), `names this dashboard's address: ${advice}`);
      assert.match(advice, /sophon dashboard --open/);
      assert.equal(await stored(tab), null);
      assert.equal(await tab.title(), 'Sophon');
    } finally {
      await tab.close();
    }
    // The first tab is still signed in.
    await page.reload();
    await page.getByText('Signed in as').waitFor();
  });

  test('a kept token the server refuses is dropped: the tab shows the advice and does not keep it', async () => {
    await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.setItem('sophon.dashboard.token', 'not-a-token-0123456789'));
    await page.reload();
    await page.locator('.sign-in-advice').waitFor();
    assert.equal(await stored(page), null);
    // The printed address signs the tab in again.
    await signIn(f);
    assert.equal(await stored(page), f.session.dashboard.token);
  });
});
