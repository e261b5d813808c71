// Issue 14 in the browser: the Agents page. An MCP agent that connected is listed with its policy and last
// calls; the person narrows its connections and refuses its writes (the CLI and the next call follow);
// "Install into Cursor" previews the change before writing it; the MCP HTTP server is started and serves a
// token made on the page; the Audit page opens filtered by the agent. Real `sophon dashboard`, `sophon mcp`
// and Chromium.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { json, sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { connectMcpHttp, startMcp } from '../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../helpers/resource-server';
import { bearerService } from '../helpers/services';
import { openDashboardSession, screenshot, type DashboardSession } from './dashboard-helpers';

const SECRET = 'agents-page-secret-0123456789abcdef';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

test.describe('dashboard in Chromium: the Agents page', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let userHome = '';
  let cleanup: (() => Promise<void>) | undefined;
  let api: ResourceServer;
  let session: DashboardSession;
  let page: Page;
  let main = '';
  let other = '';

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    userHome = await mkdtemp(join(tmpdir(), 'sophon-user-home-'));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    for (const label of ['Main', 'Other']) {
      const r = await sophon(['connect', 'add', 'res', '--secret-stdin', '--label', label, '--no-test', '--json'], { home, stdin: SECRET });
      assert.equal(r.code, 0, r.stderr);
      const id = json<{ connection: { id: string } }>(r).connection.id;
      if (label === 'Main') main = id;
      else other = id;
    }
    // An agent that has called once, so it has a last call.
    const mcp = await startMcp(home, { name: 'Claude Code' });
    const r = (await mcp.client.callTool({ name: 'http_request', arguments: { connection: main, path: '/user' } })) as CallToolResult;
    assert.equal((r.structuredContent as { status: number }).status, 200, text(r));
    await mcp.close();
    session = await openDashboardSession(browser, home, { env: { HOME: userHome, XDG_CONFIG_HOME: '' } });
    page = session.page;
  });
  test.afterAll(async () => {
    await session?.close();
    await api?.close();
    await cleanup?.();
    await rm(userHome, { recursive: true, force: true });
  });

  const card = () => page.locator('section[data-agent="claude-code"]');

  test('lists the agent with its last call; a narrowed policy that refuses writes is saved and holds', async () => {
    await page.goto(session.dashboard.address);
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor();
    await expect(card().getByRole('heading', { name: 'claude-code' })).toBeVisible();
    await expect(card().getByRole('list', { name: 'Last calls of claude-code' })).toContainText('http_request');
    await expect(card().getByRole('list', { name: 'Last calls of claude-code' })).toContainText('GET /user → 200');

    await card().getByLabel('Only these:').check();
    await card().getByRole('checkbox', { name: /Main/ }).check();
    await card().getByLabel('Calls that change things (not GET/HEAD)').selectOption('deny');
    await card().getByRole('button', { name: 'Save policy' }).click();
    await expect(card().getByText('Saved.')).toBeVisible();
    await screenshot(page, 'agents-page');

    const cli = json<{ connections: string[] | string; writes: string }>(await sophon(['mcp', 'policy', 'claude-code', '--json'], { home }));
    assert.deepEqual([cli.connections, cli.writes], [[main], 'deny']);
    // The agent's next session follows it: the other connection is not allowed, writes are refused.
    const mcp = await startMcp(home, { name: 'Claude Code' });
    const denied = (await mcp.client.callTool({ name: 'http_request', arguments: { connection: other, path: '/user' } })) as CallToolResult;
    assert.match(text(denied), /connection_not_allowed/);
    const write = (await mcp.client.callTool({ name: 'http_request', arguments: { connection: main, method: 'POST', path: '/hello' } })) as CallToolResult;
    assert.match(text(write), /write_denied/);
    await mcp.close();
  });

  test('Install into Cursor shows the change first, then writes it', async () => {
    const file = join(userHome, '.cursor', 'mcp.json');
    await page.getByRole('button', { name: 'Install into Cursor' }).click();
    const preview = page.getByRole('dialog', { name: 'Install into Cursor' });
    await expect(preview).toContainText(file);
    await expect(preview.getByTestId('install-entry')).toContainText('"mcp"');
    await expect(preview.getByTestId('install-entry')).toContainText(home);
    await assert.rejects(readFile(file), 'the preview wrote nothing');
    await preview.getByRole('button', { name: 'Install', exact: true }).click();
    await expect(page.getByText(`Created ${file}.`)).toBeVisible();
    const written = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: { sophon: { args: string[] } } };
    assert.equal(written.mcpServers.sophon.args.at(-1), 'mcp');
  });

  test('the HTTP server starts from the page and serves a token made there; revoking it refuses it', async () => {
    await expect(page.getByTestId('http-status')).toHaveText('Off');
    await page.getByRole('button', { name: 'Start the HTTP server' }).click();
    await expect(page.getByTestId('http-status')).toContainText('Running at http://127.0.0.1:');
    const url = (await page.getByTestId('http-status').locator('code').textContent())!;

    await page.getByLabel('Agent name').fill('my-bot');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!;
    assert.match(token, /^sph_/);
    const s = await connectMcpHttp(url, { name: 'x', token });
    assert.ok((await s.client.listTools()).tools.some((t) => t.name === 'list_connections'));
    await s.close();
    await page.getByRole('button', { name: /Revoke token .* of my-bot/ }).click();
    await expect(page.getByTestId('new-token')).toBeHidden();
    await assert.rejects(connectMcpHttp(url, { name: 'x', token }));
    await page.getByRole('button', { name: 'Stop the HTTP server' }).click();
    await expect(page.getByTestId('http-status')).toHaveText('Off');
  });

  test('"All its audit rows" opens the Audit page filtered by the agent', async () => {
    await card().getByRole('link', { name: 'All its audit rows' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    await expect(page.getByLabel('Agent')).toHaveValue('claude-code');
    const rows = page.locator('table.audit-table tbody tr');
    await expect(rows.first()).toBeVisible();
    const skills = await rows.locator('td:nth-child(5)').allTextContents();
    assert.ok(skills.length > 0 && skills.every((s) => s.startsWith('claude-code')), skills.join('|'));
    // Cleared, every row is back (the dashboard's own rows have no skill).
    await page.getByLabel('Agent').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page.locator('table.audit-table tbody tr td:nth-child(5)', { hasText: '—' }).first()).toBeVisible();
  });
});
