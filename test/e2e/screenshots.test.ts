// Pictures of every screen, light and dark, at 1280 px and at 400 px, taken from the real dashboard:
// attached to the test's report (test-results/, playwright-report/) for review, and the main ones
// written to docs/img/ for README.md and docs/desktop-app.md, so the pictures there are always of the
// app as it is built now.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test, type Page, type TestInfo } from '@playwright/test';
import { openPage, signIn, startShell, type PageGlobals, type ShellFixture } from './shell-fixture';

const DOCS_IMG = fileURLToPath(new URL('../../docs/img/', import.meta.url));

/** The screens, by address and heading, and the name of the docs picture for the main ones. */
const SCREENS = (id: string): { name: string; hash: string; heading: string | RegExp; docs?: ('light' | 'dark')[] }[] => [
  { name: 'connections', hash: '#/connections', heading: 'Connections', docs: ['light', 'dark'] },
  { name: 'add', hash: '#/add', heading: 'Add connection', docs: ['light'] },
  { name: 'add-service', hash: '#/add/localapi', heading: /localapi/ },
  { name: 'connection', hash: `#/connection/${id}`, heading: 'Work API', docs: ['light'] },
  { name: 'audit', hash: '#/audit', heading: 'Audit', docs: ['light', 'dark'] },
  { name: 'agents', hash: '#/agents', heading: 'Agents', docs: ['light'] },
  { name: 'models', hash: '#/models', heading: 'Models' },
  { name: 'logins', hash: '#/logins', heading: /logins/i },
  { name: 'vault', hash: '#/vault', heading: 'Vault' },
  { name: 'settings', hash: '#/settings', heading: 'Settings', docs: ['dark'] },
  { name: 'not-found', hash: '#/nowhere', heading: 'Page not found' },
];

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !(globalThis as unknown as PageGlobals).document.querySelector('main .spinner'));
  // Relative times and the chart are drawn: no transition is half-way.
  await page.evaluate(() => new Promise<void>((r) => (globalThis as unknown as PageGlobals).requestAnimationFrame(() => (globalThis as unknown as PageGlobals).requestAnimationFrame(r))));
}

async function shoot(page: Page, info: TestInfo, name: string, docs: boolean): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
  if (docs) await page.screenshot({ path: `${DOCS_IMG}${name}.png` });
}

test.describe('dashboard screenshots: every screen, light and dark, wide and 400 px', () => {
  test.describe.configure({ mode: 'serial' });
  let f: ShellFixture;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    await mkdir(DOCS_IMG, { recursive: true });
    f = await startShell(browser, { tests: 4, context: { viewport: { width: 1280, height: 800 } } });
    for (const tool of ['summarize', 'search']) await f.rest('broker.mint', { skill: 'mail-digest', tool, connection: f.connections['Work API']!.id });
    // Services a reader knows, stored untested (a made-up key: nothing is called), so the pictures look like a person's list.
    for (const [serviceId, label] of [['openai', 'OpenAI'], ['anthropic', 'Claude for agents'], ['github-pat', 'GitHub (work)']]) {
      await f.rest('connections.add', { serviceId, label, secret: `sk-screenshot-${serviceId}-0000000000000000`, test: false });
    }
    page = f.page;
    await signIn(f);
  });
  test.afterAll(async () => {
    await f?.close();
  });

  for (const width of [1280, 400] as const) {
    test(`every screen at ${width} px, light and dark`, async () => {
      const info = test.info();
      await page.setViewportSize({ width, height: 800 });
      for (const s of SCREENS(f.connections['Work API']!.id)) {
        await openPage(page, s.hash, s.heading);
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          await settled(page);
          await shoot(page, info, `${s.name}-${scheme}-${width}`, false);
          if (width === 1280 && s.docs?.includes(scheme)) await page.screenshot({ path: `${DOCS_IMG}${s.name}-${scheme}.png` });
        }
      }
      await page.emulateMedia({ colorScheme: 'light' });
    });
  }

  test('the command palette, and the narrow Audit page, for the docs', async () => {
    const info = test.info();
    await page.setViewportSize({ width: 1280, height: 800 });
    await openPage(page, '#/connections', 'Connections');
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog', { name: 'Command palette' }).waitFor();
    await page.keyboard.type('a');
    await settled(page);
    await shoot(page, info, 'palette-light', true);
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 400, height: 800 });
    await openPage(page, '#/audit', 'Audit');
    await settled(page);
    // The chart and the first rows, stacked as cards at this width.
    await page.getByRole('region', { name: 'Activity over time' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await shoot(page, info, 'audit-narrow-light', true);
  });
});
