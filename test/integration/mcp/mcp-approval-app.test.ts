import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { EventPayload } from '../../../shared/contract';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';
import { call, openEvents, startDashboardProcess, type Dashboard } from '../server/dashboard-process';

const SECRET = 'approval-app-secret-0123456789abcdef';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
type Approval = EventPayload<'agent.approval'>;

/** `sophon mcp` (stdio, a client without elicitation) and `sophon dashboard` are separate processes: the question crosses SOPHON_HOME/run. */
describe('sophon mcp: a write from a client that cannot elicit is approved or declined in the dashboard', () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let id = '';
  let d: Dashboard;
  let bobToken = '';
  let session: McpSession;

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Mcp: { ApprovalTimeoutSeconds: 20 } } }));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    const r = await sophon(['connect', 'add', 'res', '--secret-stdin', '--label', 'Main', '--json'], { home, stdin: SECRET });
    assert.equal(r.code, 0, r.stderr);
    id = json<{ connection: { id: string } }>(r).connection.id;
    d = await startDashboardProcess(home);
    bobToken = json<{ token: string }>(await sophon(['--user', 'bob', 'api-token', 'create', '--json'], { home })).token;
    session = await startMcp(home, { name: 'Plain Client' });
  });
  afterAll(async () => {
    await session?.close().catch(() => undefined);
    await d?.stop();
    await api?.close();
    await cleanup();
  });

  const post = (body: unknown) => session.client.callTool({ name: 'http_request', arguments: { connection: id, method: 'POST', path: '/hello', query: { q: 'x' }, body } }) as Promise<CallToolResult>;

  /** The dashboard has said (run/approval-listeners) that a window of `user` is open. */
  async function listening(user: string): Promise<void> {
    const dir = join(home, 'run', 'approval-listeners');
    for (let i = 0; i < 200; i++) {
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const f of files.filter((n) => n.endsWith('.json'))) {
        if ((JSON.parse(await readFile(join(dir, f), 'utf8')) as { users: string[] }).users.includes(user)) return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the dashboard never listed ${user} as listening`);
  }

  /** The open question, as a window that opens now lists it. */
  async function waitForApproval(): Promise<Approval> {
    for (let i = 0; i < 200; i++) {
      const open = (await call(d, d.token, 'agents.approvals')).json().value as { approvals: Approval[] };
      if (open.approvals.length) return open.approvals[0]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no approval was asked');
  }

  test('no window open: refused as before, saying how to get asked; nothing is sent', async () => {
    const before = api.seen.length;
    const r = await post({ title: 'x' });
    assert.equal(r.isError, true);
    assert.match(text(r), /cannot ask them \(it has no elicitation\) and no Sophon app or dashboard window is open.*sophon mcp policy plain-client --writes allow.*\(approval_unavailable\)/s);
    assert.equal(api.seen.length, before);
  });

  test('with a dashboard tab open, the person is asked (method, host, path, body fields; no value, no query) and Approve sends the call', async () => {
    const events = openEvents(d, d.token);
    const bobEvents = openEvents(d, bobToken);
    try {
      await events.waitFor(': connected');
      await bobEvents.waitFor(': connected');
      await listening('default');
      const before = api.seen.length;
      const pending = post({ title: 'hello-value', labels: ['bug'] });
      const q = await waitForApproval();
      await events.waitFor('agent.approval');
      assert.equal(q.phase, 'open');
      assert.equal(q.agent, 'plain-client');
      assert.equal(q.tool, 'http_request');
      assert.equal(q.method, 'POST');
      assert.equal(q.host, new URL(api.url).host);
      assert.equal(q.path, '/hello');
      assert.equal(q.hasQuery, true);
      assert.match(q.body, /JSON object with 2 field\(s\): title, labels/);
      assert.deepEqual(q.connection, { id, label: 'Main', serviceId: 'res' });
      for (const shown of [JSON.stringify(q), events.text()]) {
        assert.ok(!shown.includes('hello-value') && !shown.includes('q=x') && !shown.includes(SECRET), 'no body value, query or secret is shown');
      }
      // Another user cannot see or answer it.
      assert.deepEqual(((await call(d, bobToken, 'agents.approvals')).json().value as { approvals: Approval[] }).approvals, []);
      const foreign = await call(d, bobToken, 'agents.approve', { request: q.request, approve: true });
      assert.equal(foreign.status, 404, foreign.body);
      assert.equal(api.seen.length, before, 'nothing was sent while waiting');

      const answered = await call(d, d.token, 'agents.approve', { request: q.request, approve: true });
      assert.deepEqual(answered.json().value, { request: q.request, outcome: 'approved' });
      const r = await pending;
      assert.equal((r.structuredContent as { status: number }).status, 200, text(r));
      assert.equal(api.seen.length, before + 1);
      assert.equal(api.seen.at(-1)!.method, 'POST');
      // Answered once: a second answer finds nothing; every window drops the question.
      assert.equal((await call(d, d.token, 'agents.approve', { request: q.request, approve: false })).status, 404);
      await events.waitFor('"phase":"closed"');
      assert.ok(!bobEvents.text().includes('agent.approval'), "another user's stream never hears of it");
    } finally {
      events.close();
      bobEvents.close();
    }
  });

  test('Decline refuses the call (write_declined) and sends nothing; the question files are gone', async () => {
    const events = openEvents(d, d.token);
    try {
      await events.waitFor(': connected');
      await listening('default');
      const before = api.seen.length;
      const pending = post('some text');
      const q = await waitForApproval();
      assert.match(q.body, /9 bytes of text/);
      await call(d, d.token, 'agents.approve', { request: q.request, approve: false });
      const r = await pending;
      assert.equal(r.isError, true);
      assert.match(text(r), /The person declined the POST call in the Sophon app; nothing was sent\. \(write_declined\)/);
      assert.equal(api.seen.length, before);
      assert.deepEqual((await readdir(join(home, 'run', 'approvals'))).filter((f) => !f.startsWith('.')), []);
    } finally {
      events.close();
    }
  });

  test('every decision is audited under the agent', async () => {
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; detail: string | null }[] }>(await sophon(['audit', '--skill', 'plain-client', '--json', '--limit', '100'], { home })).rows;
    const approvals = rows.filter((r) => r.action === 'mcp_approval').map((r) => [r.outcome, r.detail]);
    assert.ok(approvals.some(([o, dt]) => o === 'ok' && /approved by the person in the app: POST .*\/hello/.test(dt ?? '')), JSON.stringify(approvals));
    assert.ok(approvals.some(([o, dt]) => o === 'denied' && /declined by the person in the app/.test(dt ?? '')));
    assert.ok(approvals.some(([o, dt]) => o === 'denied' && /no Sophon window is open/.test(dt ?? '')));
    for (const r of rows) assert.ok(!(r.detail ?? '').includes('hello-value'));
  });
});
