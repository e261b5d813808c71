// The connection list painted by the boot script before the app (React) is evaluated: held back here by
// delaying the app's chunk, it shows the first rows of the real list — what needs attention first, sorted, with their states
// and last tests — and the same markup the app then renders in their place; the search box waits,
// disabled, and the app takes over when its chunk arrives.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test, type Route } from '@playwright/test';
import { tempHome } from '../helpers/home';
import { openDashboardSession, screenshot, type DashboardSession } from './dashboard-helpers';

/** What these tests read in the page (the tests are compiled without the DOM's types). */
interface PageDom {
  document: {
    querySelectorAll(selector: string): ArrayLike<{ outerHTML: string; textContent: string | null }>;
    querySelector(selector: string): { outerHTML: string; textContent: string | null } | null;
  };
  performance: { getEntriesByType(type: 'resource'): { name: string; responseEnd: number }[] };
  MutationObserver: new (callback: () => void) => { observe(target: object, options: { childList: boolean; subtree: boolean }): void };
  sawFirstPaint?: boolean;
}

/** More than the first paint shows (30 rows), over three services, one needing re-auth, one with a failed test. */
const SERVICES = ['openai', 'anthropic', 'github-pat'];
const COUNT = 45;
const SEED = fileURLToPath(new URL('./first-paint-seed.ts', import.meta.url));

test.describe('dashboard in Chromium: the first paint of the connection list', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let session: DashboardSession;

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    await mkdir(join(home, 'config'), { recursive: true });
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
    // "Key 1" needs re-auth, "Key 4" failed its last test, "Key 7" passed it (see the seed).
    // Rejects with the child's stderr if the seed fails.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', SEED, home, String(COUNT), ...SERVICES], { env: { ...process.env, SOPHON_HOME: home } });
    session = await openDashboardSession(browser, home);
  });

  test.afterAll(async () => {
    await session?.close();
    await cleanup?.();
  });

  test('paints the first rows before the app runs, with the markup the app renders in their place', async () => {
    const { page, dashboard } = session;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/assets\/app-[\w-]+\.js$/, async (route: Route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(dashboard.address);
      const painted = page.locator('.layout[data-first-paint]');
      await painted.locator('li.conn-row').first().waitFor();
      await screenshot(page, '31-first-paint');
      assert.equal(await painted.getAttribute('aria-busy'), 'true');
      assert.ok(await painted.locator('input[type=search]').isDisabled(), 'the search box waits for the app');
      const first = await page.evaluate(() => {
        const d = (globalThis as unknown as PageDom).document;
        return {
          rows: Array.from(d.querySelectorAll('li.conn-row'), (e) => e.outerHTML),
          head: Array.from(d.querySelectorAll('.conn-head'), (e) => e.outerHTML),
          header: d.querySelector('.page-header')!.outerHTML,
          summary: d.querySelector('.summary')!.textContent,
          labels: Array.from(d.querySelectorAll('.conn-label'), (e) => e.textContent),
        };
      });
      // The first 30 of the list: the one needing re-auth first, then by service name (Anthropic, GitHub, OpenAI), labels in numeric order; column labels once.
      assert.equal(first.rows.length, 30);
      assert.equal(first.head.length, 1, first.head.join('\n'));
      const anthropic = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 3 === 1).map((i) => `Key ${i}`);
      const github = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 3 === 2).map((i) => `Key ${i}`);
      assert.deepEqual(first.labels, ['Key 1', ...anthropic.filter((l) => l !== 'Key 1'), ...github].slice(0, 30));
      assert.equal(first.summary, `${COUNT} connections · 1 needs re-auth`);
      assert.match(first.rows[0]!, /data-state="needs_reauth"[^>]*>.*Needs re-auth.*The refresh token was revoked\./s);
      assert.match(first.rows[1]!, /class="conn-cell text-bad" data-col="test">rejected just now/);
      assert.match(first.rows[2]!, /data-col="test">passed just now/);
      assert.match(first.rows[1]!, /class="service-icon service-logo" aria-hidden="true" data-logo="anthropic"><svg viewBox="0 0 24 24" focusable="false"><path d="M/, 'the logo is painted too');
      // Only the boot script has run: no app chunk yet.
      assert.equal(await page.evaluate(() => (globalThis as unknown as PageDom).performance.getEntriesByType('resource').some((e) => /\/assets\/app-/.test(e.name) && e.responseEnd > 0)), false);

      release();
      await page.locator('.layout:not([data-first-paint])').waitFor();
      await page.locator('input[type=search]:not([disabled])').waitFor();
      const app = await page.evaluate((n) => {
        const d = (globalThis as unknown as PageDom).document;
        return {
          rows: Array.from(d.querySelectorAll('li.conn-row'), (e) => e.outerHTML).slice(0, n),
          head: Array.from(d.querySelectorAll('.conn-head'), (e) => e.outerHTML),
          header: d.querySelector('.page-header')!.outerHTML,
        };
      }, first.rows.length);
      assert.deepEqual(app.rows, first.rows);
      assert.equal(await page.evaluate(() => 'sophonBoot' in globalThis), false, 'the boot handed over leaves no global behind');
      assert.deepEqual(app.head, first.head);
      assert.equal(app.header, first.header);
      // The app goes on to render every row.
      await page.waitForFunction((n) => (globalThis as unknown as PageDom).document.querySelectorAll('li.conn-row').length === n, COUNT);
    } finally {
      release();
      await page.unroute(/\/assets\/app-[\w-]+\.js$/);
    }
  });

  test('the dashboard’s address opened again in the same tab (a change of fragment only): the token leaves the address again', async () => {
    const { page, dashboard } = session;
    await page.goto('about:blank');
    await page.goto(dashboard.address);
    await page.locator('.layout:not([data-first-paint]) li.conn-row').first().waitFor();
    assert.ok(!page.url().includes('token='), page.url());
    await page.goto(dashboard.address);
    await page.waitForFunction(() => !(globalThis as unknown as { location: { hash: string } }).location.hash.includes('token='));
    assert.equal(new URL(page.url()).hash, '');
    await page.locator('li.conn-row').first().waitFor();
  });

  test('the app’s chunk fails to load: the painted list gives way to a message saying what to do', async () => {
    const { page, dashboard } = session;
    await page.route(/\/assets\/app-[\w-]+\.js$/, (route: Route) => route.abort());
    try {
      // From another document: the page is at the dashboard's address already, and a change of fragment alone does not load it again.
      await page.goto('about:blank');
      await page.goto(dashboard.address);
      await page.getByText('Sophon could not load the rest of this page').waitFor();
      assert.equal(await page.locator('li.conn-row').count(), 0);
    } finally {
      await page.unroute(/\/assets\/app-[\w-]+\.js$/);
    }
  });

  test('a session that is refused (no token): nothing is painted, and the app says why', async () => {
    const { page, dashboard } = session;
    // Whether a first paint ever happened, noted as the document changes.
    await page.addInitScript(() => {
      const g = globalThis as unknown as PageDom;
      new g.MutationObserver(() => {
        if (g.document.querySelector('[data-first-paint]')) g.sawFirstPaint = true;
      }).observe(g.document, { childList: true, subtree: true });
    });
    // The tab keeps its sign-in over loads (sessionStorage): a tab that never had one is a new tab.
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
    await page.goto(`${dashboard.origin}/`);
    await page.getByText('sophon dashboard --open').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageDom).sawFirstPaint ?? false), false);
  });
});
