// `sophon dashboard --open`: the browser is started with a one-time code (#code=…), never the token. The
// page trades the code for the token, keeps the token in memory only and clears the address bar; the
// code works once, so a reload of the tab is not signed in (it says how to get a fresh one). The
// "browser" here is a script first on PATH (and $BROWSER) that writes down the address it was given,
// which the test then opens in Chromium.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { tempHome } from '../helpers/home';
import { startDashboard, type Dashboard } from './dashboard-helpers';

test.describe('dashboard --open: a one-time code in the browser, traded once for the token', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let bin = '';
  let dashboard: Dashboard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let opened = '';

  test.beforeAll(async ({ browser: runnerBrowser }) => {
    ({ home, cleanup } = await tempHome());
    bin = await mkdtemp(join(tmpdir(), 'sophon-e2e-browser-'));
    const script = join(bin, 'xdg-open');
    await writeFile(script, `#!/bin/sh\nprintf '%s' "$1" > "${join(bin, 'opened.txt')}"\n`);
    await chmod(script, 0o755);
    dashboard = await startDashboard(home, { PATH: `${bin}:${process.env.PATH ?? ''}`, BROWSER: script, DISPLAY: ':0' }, ['--open']);
    for (let i = 0; i < 100 && !opened; i++) {
      opened = await readFile(join(bin, 'opened.txt'), 'utf8').catch(() => '');
      if (!opened) await new Promise((r) => setTimeout(r, 100));
    }
    browser = runnerBrowser;
    context = await browser.newContext();
    page = await context.newPage();
  });
  test.afterAll(async () => {
    await context?.close();
    await dashboard?.stop();
    await cleanup?.();
    if (bin) await rm(bin, { recursive: true, force: true });
  });

  test('the browser got a code, not the token', () => {
    assert.match(opened, new RegExp(`^${dashboard.origin}/#code=[A-Za-z0-9_-]{20,}$`));
    assert.ok(!opened.includes(dashboard.token));
  });

  test('the page trades it, signs in, and the code leaves the address bar', async () => {
    await page.goto(opened);
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    assert.equal(new URL(page.url()).hash, '', `nothing left in the fragment: ${page.url()}`);
    await page.getByText('Signed in as').waitFor();
  });

  test('the code works once: the same address again is not signed in, and says what to do', async () => {
    const secondContext = await browser.newContext();
    try {
      const second = await secondContext.newPage();
      await second.goto(opened);
      const alert = second.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /no longer signed in[\s\S]*one-time code is unknown, used or expired/);
      await second.getByText('sophon dashboard --open').waitFor();
    } finally {
      await secondContext.close();
    }
  });
});
