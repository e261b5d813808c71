// Issue 14 in the browser: an agent's http_request names a service the person has no connection of. `sophon mcp`
// sends the person to the dashboard's add page (URL-mode elicitation, no token in the link); the person opens it
// in their signed-in dashboard tab and adds the connection in Chromium; the call that waited returns the API's
// answer. A pick between two connections is answered in the same tab's dialog. The real `sophon dashboard` and
// `sophon mcp` processes, Debian's Chromium.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';
import type { CallToolResult, ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { forms } from '../helpers/canary';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { startMcp, type McpSession } from '../helpers/mcp-client';
import { encodings, openDashboardSession, screenshot, type DashboardSession } from './dashboard-helpers';

const CANARY = `sk-mcp-elicit-${randomBytes(16).toString('hex')}`;
type UrlParams = Extract<ElicitRequest['params'], { mode: 'url' }>;
/** The page's location (the tests' tsconfig has no DOM types). */
type PageLocation = { location: { href: string; hash: string } };

test.describe('MCP URL elicitation: the person adds the missing connection in the dashboard, and the call completes', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let session: DashboardSession;
  let page: Page;
  let mcp: McpSession | undefined;

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    api = await startUserApi(CANARY, 'octo-mcp');
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    session = await openDashboardSession(browser, home);
    page = session.page;
    // The person's signed-in dashboard tab.
    await session.page.goto(session.dashboard.address);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Connections' }).waitFor();
  });
  test.afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await session?.close();
    await api?.close();
    await cleanup?.();
  });

  test('missing connection: elicitation to #/add/localapi, the person adds it in Chromium, the call returns the API answer', async () => {
    let sent: (p: UrlParams) => void = () => undefined;
    const elicited = new Promise<UrlParams>((resolve) => (sent = resolve));
    mcp = await startMcp(home, {
      name: 'Claude Code',
      url: true,
      elicit: (p) => {
        sent(p as UrlParams);
        return { action: 'accept' };
      },
    });
    const call = mcp.client.callTool({ name: 'http_request', arguments: { service: 'localapi', path: '/user' } }) as Promise<CallToolResult>;
    const asked = await elicited;
    assert.equal(asked.mode, 'url');
    assert.equal(asked.url, `${session.dashboard.origin}/#/add/localapi`);
    assert.ok(!asked.url.includes(session.dashboard.token), 'the link carries no token');

    // The person opens the link in their signed-in tab and adds the connection.
    await page.evaluate((url) => void ((globalThis as unknown as PageLocation).location.href = url), asked.url);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Connect Local localapi' }).waitFor();
    await page.getByLabel('Name').fill('Work');
    await page.getByLabel('Token').fill(CANARY);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Work' }).waitFor();
    await screenshot(page, 'mcp-elicit-added');

    const r = await call;
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    const out = r.structuredContent as { status: number; body: string };
    assert.equal(out.status, 200);
    assert.equal((JSON.parse(out.body) as { login: string }).login, 'octo-mcp');
    assert.ok(mcp.messages.some((m) => m.includes('notifications/elicitation/complete') && m.includes(asked.elicitationId)));
  });

  test('two connections: the same tab asks which one, the person picks "Second", the call uses it', async () => {
    // A second connection of the service, added in the dashboard too.
    await page.evaluate(() => void ((globalThis as unknown as PageLocation).location.hash = '#/add/localapi'));
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Connect Local localapi' }).waitFor();
    await page.getByLabel('Name').fill('Second');
    await page.getByLabel('Token').fill(CANARY);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Second' }).waitFor();
    const second = decodeURIComponent(/#\/connection\/(.+)$/.exec(page.url())![1]!);

    const before = mcp!.asked.length;
    const call = mcp!.client.callTool({ name: 'http_request', arguments: { service: 'localapi', path: '/user' } }) as Promise<CallToolResult>;
    const dialog = page.getByRole('dialog', { name: /claude-code wants to use Local localapi for tool http_request/ });
    await dialog.waitFor();
    assert.equal((mcp!.asked[before] as UrlParams).url, `${session.dashboard.origin}/#/connections`);
    await screenshot(page, 'mcp-elicit-pick');
    await dialog.getByRole('radio', { name: /Second/ }).check();
    await dialog.getByRole('button', { name: 'Use this account' }).click();
    const r = await call;
    assert.equal((r.structuredContent as { connection: string }).connection, second, JSON.stringify(r.content));
  });

  test('no MCP message carries the credential or the dashboard token', async () => {
    await mcp!.close();
    const all = mcp!.messages.join('\n') + mcp!.stderr();
    for (const f of [...forms(CANARY), ...encodings(session.dashboard.token)]) assert.ok(!all.includes(f), 'a secret reached an MCP message');
  });
});
