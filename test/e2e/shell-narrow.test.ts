// Every screen in a 400 px wide window: the page never scrolls sideways (scrollWidth <= clientWidth) and
// nothing sticks out past the window's right edge where it would be cut off or need a sideways scroll.
// Also the Audit page's chart, drawn from the real rows: its bars add up to what audit.query answers,
// for every row and for one connection, by connection and by agent or skill.
import assert from 'node:assert/strict';
import { test, type Page } from '@playwright/test';
import type { Out } from '../../shared/contract';
import { openPage, signIn, startShell, type PageElement, type PageGlobals, type ShellFixture } from './shell-fixture';

/** Elements whose right edge is past the window (outside any box that scrolls or clips sideways), as "tag.class: right". */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document, getComputedStyle } = (globalThis as unknown as PageGlobals);
    const width = document.documentElement.clientWidth;
    const clipped = (el: PageElement): boolean => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 0.5 || clipped(el)) continue;
      if (el.closest('.visually-hidden, .skip-link, dialog:not([open])')) continue;
      out.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(r.right)}`);
    }
    return out;
  });
}

const scrollsSideways = (page: Page) => page.evaluate(() => ({ scroll: (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth, client: (globalThis as unknown as PageGlobals).document.documentElement.clientWidth }));

test.describe('dashboard shell: 400 px windows and the audit chart', () => {
  test.describe.configure({ mode: 'serial' });
  let f: ShellFixture;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    f = await startShell(browser, { tests: 3, context: { viewport: { width: 400, height: 800 } } });
    // A broker mint is audited under its skill's name: a second series for "by agent or skill".
    await f.rest('broker.mint', { skill: 'digest', tool: 'summarize', connection: f.connections['Work API']!.id });
    page = f.page;
    await signIn(f);
  });
  test.afterAll(async () => {
    await f?.close();
  });

  test('no screen scrolls sideways or sticks out at 400 px', async () => {
    const id = f.connections['Work API']!.id;
    const screens: [string, string | RegExp][] = [
      ['#/connections', 'Connections'],
      ['#/add', 'Add connection'],
      ['#/add/localapi', /localapi/],
      ['#/add/gmail', /Gmail/],
      [`#/connection/${id}`, 'Work API'],
      ['#/audit', 'Audit'],
      ['#/agents', 'Agents'],
      ['#/models', 'Models'],
      ['#/logins', /CLI logins|logins/i],
      ['#/vault', 'Vault'],
      ['#/settings', 'Settings'],
      ['#/nowhere', 'Page not found'],
    ];
    for (const [hash, heading] of screens) {
      await openPage(page, hash, heading);
      // The page's own data is in (a spinner is narrower than what replaces it).
      await page.waitForFunction(() => !(globalThis as unknown as PageGlobals).document.querySelector('main [role="status"] .spinner'));
      const { scroll, client } = await scrollsSideways(page);
      assert.ok(scroll <= client, `${hash}: scrollWidth ${scroll} > clientWidth ${client}`);
      assert.deepEqual(await overflowing(page), [], `${hash}: elements past the right edge`);
    }
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog', { name: 'Command palette' }).waitFor();
    assert.deepEqual(await overflowing(page), [], 'the command palette fits');
    await page.keyboard.press('Escape');
  });

  test('the audit chart adds up to the real rows, by connection and by agent or skill', async () => {
    const all = await f.rest<Out<'audit.query'>>('audit.query', { limit: 1000 });
    await openPage(page, '#/audit', 'Audit');
    const chart = page.getByRole('region', { name: 'Activity over time' });
    await chart.waitFor();
    const svg = chart.getByRole('group', { name: 'Activity over time' });
    assert.equal(await svg.getAttribute('data-rows'), String(all.total));
    const barTotals = () => svg.locator('.chart-bar').evaluateAll((gs) => gs.reduce((n, g) => n + Number(g.getAttribute('data-total')), 0));
    assert.equal(await barTotals(), all.total, 'every row is in a bar');
    // Each bar says what it holds, for a screen reader as for a pointer.
    const labels = await svg.getByRole('img').evaluateAll((gs) => gs.map((g) => g.querySelector('title')?.textContent ?? ''));
    assert.equal(labels.length, await svg.locator('.chart-bar').count(), 'every bar is an image named by its title');
    await svg.getByRole('img', { name: labels.find((l) => !l.includes(': 0 rows'))! }).waitFor();
    assert.ok(labels.every((l) => /: \d+ rows?/.test(l)), labels.join('\n'));
    const perConnection = (label: string) => labels.reduce((n, l) => n + Number(new RegExp(`${label} (\\d+)`).exec(l)?.[1] ?? 0), 0);
    const count = (id: string) => all.rows.filter((r) => r.connectionId === id).length;
    assert.equal(perConnection('Work API'), count(f.connections['Work API']!.id));
    assert.equal(perConnection('Personal API'), count(f.connections['Personal API']!.id));
    const legend = await chart.getByRole('list', { name: 'Series' }).getByRole('listitem').allInnerTexts();
    assert.deepEqual(new Set(legend), new Set([...new Set(all.rows.map((r) => (r.connectionId === f.connections['Work API']!.id ? 'Work API' : r.connectionId === f.connections['Personal API']!.id ? 'Personal API' : 'No connection')))]));

    await chart.getByLabel('Group the chart by').selectOption('agent');
    await chart.getByRole('list', { name: 'Series' }).getByText('digest').waitFor();
    const agentLabels = await svg.getByRole('img').evaluateAll((gs) => gs.map((g) => g.querySelector('title')?.textContent ?? ''));
    assert.equal(agentLabels.reduce((n, l) => n + Number(/digest (\d+)/.exec(l)?.[1] ?? 0), 0), all.rows.filter((r) => r.skill === 'digest').length);

    // Filtered to one connection, the chart follows the table's filter.
    const personal = f.connections['Personal API']!;
    const only = await f.rest<Out<'audit.query'>>('audit.query', { connection: personal.id, limit: 1000 });
    await page.getByLabel('Connection').selectOption(personal.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelector('svg.chart')?.getAttribute('data-rows') === String(n), only.total);
    assert.equal(await barTotals(), only.total);
    const { scroll, client } = await scrollsSideways(page);
    assert.ok(scroll <= client);
  });
});
