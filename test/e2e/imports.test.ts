// CLI logins in the dashboard: what the importer finds on this machine is listed with where it came
// from and why a login cannot be used, one click imports it, and the key never comes back to the
// browser. The dashboard runs with its own empty HOME (no real gh / Claude / Codex logins are read);
// the one login it finds is an OPENAI_API_KEY in its environment.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type BrowserContext, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { json, sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { encodings, recordTraffic, screenshotBoth, startDashboard, type Dashboard } from './dashboard-helpers';

const KEY = `sk-import-canary-${randomBytes(16).toString('hex')}`;

test.describe('dashboard in Chromium: CLI logins found on this machine, imported in one click', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let userHome = '';
  let dashboard: Dashboard;
  let context: BrowserContext;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    userHome = await mkdtemp(join(tmpdir(), 'sophon-e2e-user-'));
    const env: NodeJS.ProcessEnv = { HOME: userHome, XDG_CONFIG_HOME: join(userHome, '.config'), OPENAI_API_KEY: KEY };
    for (const v of ['GH_TOKEN', 'GITHUB_TOKEN', 'ANTHROPIC_API_KEY', 'GH_CONFIG_DIR', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME']) env[v] = '';
    dashboard = await startDashboard(home, env);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    traffic = recordTraffic(context);
    page = await context.newPage();
  });
  test.afterAll(async () => {
    await context?.close();
    await dashboard?.stop();
    await cleanup?.();
    if (userHome) await rm(userHome, { recursive: true, force: true });
  });

  test('the empty connection list points to the logins found; the page lists them with their source and where it looked', async () => {
    await page.goto(dashboard.address);
    await page.getByRole('link', { name: 'Use the CLI login found on this machine' }).click();
    await page.getByRole('heading', { level: 1, name: 'CLI logins' }).waitFor();
    const row = page.locator('li[data-login-key="env:OPENAI_API_KEY"]');
    await row.waitFor();
    assert.match(await row.innerText(), /openai[\s\S]*\$OPENAI_API_KEY/);
    const sources = await page.locator('.sources li').allInnerTexts();
    assert.ok(sources.some((s) => /^gh: nothing found/.test(s)), `gh was looked for and had nothing: ${sources}`);
    await screenshotBoth(page, '17-cli-logins');
  });

  let id = '';
  test('one click imports it: the result names the new connection, the row says imported, the list has it', async () => {
    await page.getByRole('button', { name: 'Import Environment variable ($OPENAI_API_KEY)' }).click();
    const note = page.locator('.import-result');
    await note.waitFor();
    assert.match(await note.innerText(), /^Imported 1 login: openai-[0-9a-f]+ \(copied\)\.$/);
    id = /(openai-[0-9a-f]+)/.exec(await note.innerText())![1]!;
    await page.locator('li[data-login-key="env:OPENAI_API_KEY"]').getByRole('link', { name: /^Imported/ }).waitFor();
    const listed = json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home })).connections;
    assert.deepEqual(
      listed.map((c) => [c.id, c.serviceId]),
      [[id, 'openai']],
    );
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Connections' }).click();
    await page.locator(`li[data-connection-id="${id}"]`).waitFor();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Models' }).click();
    await page.locator(`.provider-card[data-service-id="openai"]`).getByText('1 connection').waitFor();
  });

  test('canary: the imported key is in no HTTP response body', async () => {
    await traffic.settle();
    assert.ok(traffic.responses.filter((r) => r.url.includes('/api/imports.')).length >= 2, 'the import calls were recorded');
    for (const form of encodings(KEY)) for (const r of traffic.responses) assert.ok(!r.body.includes(form), `${r.url} answered with the key`);
  });
});
