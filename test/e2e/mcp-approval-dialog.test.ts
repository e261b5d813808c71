// Issue 14 in the browser: an MCP client without elicitation asks for a write; `sophon mcp` (its own process)
// cannot ask the person through it, so the open dashboard shows the approval dialog (method, host, path, a
// body summary; never a value), and Approve sends the call while Decline refuses it. Real `sophon mcp`,
// real `sophon dashboard`, Debian's Chromium.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { json, sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { startMcp, type McpSession } from '../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../helpers/resource-server';
import { bearerService } from '../helpers/services';
import { openDashboardSession, screenshot, type DashboardSession } from './dashboard-helpers';

const SECRET = 'dialog-secret-0123456789abcdefghij';
/** The dashboard has said (SOPHON_HOME/run/approval-listeners) that a window of `user` is open: within a poll (250 ms) of the page's event stream. */
async function listening(home: string, user: string): Promise<void> {
  const dir = join(home, 'run', 'approval-listeners');
  for (let i = 0; i < 200; i++) {
    for (const f of (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'))) {
      if ((JSON.parse(await readFile(join(dir, f), 'utf8')) as { users: string[] }).users.includes(user)) return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the dashboard never listed ${user} as listening`);
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

test.describe('dashboard in Chromium: approving an MCP agent write its client cannot ask about', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let api: ResourceServer;
  let session: DashboardSession;
  let page: Page;
  let mcp: McpSession;
  let id = '';

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Mcp: { ApprovalTimeoutSeconds: 60 } } }));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    const r = await sophon(['connect', 'add', 'res', '--secret-stdin', '--label', 'Main', '--json'], { home, stdin: SECRET });
    assert.equal(r.code, 0, r.stderr);
    id = json<{ connection: { id: string } }>(r).connection.id;
    session = await openDashboardSession(browser, home);
    page = session.page;
    mcp = await startMcp(home, { name: 'Plain Client' });
  });
  test.afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await session?.close();
    await api?.close();
    await cleanup?.();
  });

  const write = (method: string, body: unknown) => mcp.client.callTool({ name: 'http_request', arguments: { connection: id, method, path: '/hello', body } }) as Promise<CallToolResult>;
  const dialog = () => page.getByRole('alertdialog', { name: /Agent plain-client wants to make a call that changes things/ });

  test('the open page asks: method, host, path and the body’s field names; focus on Decline; Approve sends the call', async () => {
    const stream = page.waitForResponse((r) => r.url().endsWith('/api/events'));
    await page.goto(session.dashboard.address);
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    await stream;
    const before = api.seen.length;
    await listening(home, 'default');
    const pending = write('POST', { title: 'secret-looking-value', n: 1 });
    const d = dialog();
    await expect(d).toBeVisible();
    await expect(d.locator('[data-field="request"]')).toHaveText(`POST ${new URL(api.url).host}/hello`);
    await expect(d.locator('[data-field="body"]')).toHaveText(/JSON object with 2 field\(s\): title, n/);
    await expect(d).toContainText('Main');
    await expect(d).not.toContainText('secret-looking-value');
    await expect(page.locator('button[data-decline]')).toBeFocused();
    assert.equal(api.seen.length, before, 'nothing is sent before the answer');
    await screenshot(page, 'mcp-approval-dialog');

    await d.getByRole('button', { name: 'Approve' }).click();
    const r = await pending;
    assert.equal((r.structuredContent as { status: number }).status, 200, text(r));
    assert.equal(api.seen.length, before + 1);
    await expect(d).toBeHidden();
  });

  test('Decline refuses the call: write_declined, nothing sent', async () => {
    const before = api.seen.length;
    const pending = write('DELETE', undefined);
    await dialog().getByRole('button', { name: 'Decline' }).click();
    const r = await pending;
    assert.equal(r.isError, true);
    assert.match(text(r), /declined the DELETE call in the Sophon app; nothing was sent\. \(write_declined\)/);
    assert.equal(api.seen.length, before);
    await expect(dialog()).toBeHidden();
    for (const m of mcp.messages) assert.ok(!m.includes(SECRET), 'the secret is in no MCP message');
  });
});
