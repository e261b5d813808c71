import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import Database from 'better-sqlite3';
import type { CallToolResult, ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { forms } from '../../helpers/canary';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';
import { recordEvents, startDashboard, type Dashboard } from '../../e2e/dashboard-helpers';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));
const SECRET = 'elicit-canary-secret-7Qz1x9';
const SECOND = 'elicit-canary-second-8Rw2y0';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
type UrlParams = Extract<ElicitRequest['params'], { mode: 'url' }>;

describe('sophon mcp: URL elicitation sends the person to the dashboard, waits, then completes the call', async () => {
  let api: ResourceServer;
  let dashboard: Dashboard;
  /** The person's dashboard window, listening for questions (GET /api/events). */
  let tab: ReturnType<typeof recordEvents>;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  const sessions: McpSession[] = [];
  /** The person's steps started from the elicitation handlers (after they consented to open the link). */
  const steps: Promise<unknown>[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' } } }));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : t === SECOND ? 'hubot' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    await writeFile(join(home, 'connectors', 'other.json'), JSON.stringify(bearerService('other', api.url)));
    // The repository's example skill, pointed at the local service (a proxied GET /user: read-only).
    await cp(EXAMPLE, join(home, 'skills', 'whoami'), { recursive: true });
    const m = JSON.parse(await readFile(join(home, 'skills', 'whoami', 'manifest.json'), 'utf8')) as { credentials: { service: string; scopes: string[] }[] };
    m.credentials = [{ ...m.credentials[0]!, service: 'res', scopes: [] }];
    await writeFile(join(home, 'skills', 'whoami', 'manifest.json'), JSON.stringify(m));
    dashboard = await startDashboard(home);
    tab = recordEvents(dashboard);
  });
  afterAll(async () => {
    await Promise.allSettled(steps);
    tab?.stop();
    for (const s of sessions) await s.close().catch(() => undefined);
    await dashboard?.stop();
    await api?.close();
    await cleanup();
  });

  const open = async (name: string, elicit?: (p: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>) => {
    const s = await startMcp(home, { name, elicit, url: true });
    sessions.push(s);
    return s;
  };
  const call = (s: McpSession, args: Record<string, unknown>) => s.client.callTool({ name: 'http_request', arguments: args }) as Promise<CallToolResult>;
  /** The person, after consenting: does `step` (for real, through the CLI or the dashboard's REST API), while the call waits. */
  const personDoes = (step: () => Promise<unknown>): ElicitResult => {
    steps.push(step());
    return { action: 'accept' };
  };
  const ok = (r: CliResult) => {
    assert.equal(r.code, 0, r.stderr);
    return r;
  };
  const rest = async <T,>(operation: string, input: object): Promise<T> => {
    const res = await fetch(`${dashboard.origin}/api/${operation}`, { method: 'POST', headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
    const body = (await res.json()) as { ok: boolean; value: T; error?: { message: string } };
    assert.ok(body.ok, body.error?.message);
    return body.value;
  };
  /** The person's answer in their dashboard window to the question the agent's call asked there (as for a skill). */
  const answer = async (agent: string, pick: (options: string[]) => string | null) => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const { questions } = await rest<{ questions: { request: string; skill: string; tool: string; options: { id: string }[] }[] }>('broker.questions', {});
      const q = questions.find((x) => x.skill === agent);
      if (q) return rest('broker.choose', { request: q.request, connection: pick(q.options.map((o) => o.id)) });
    }
    throw new Error(`no question of ${agent} reached the dashboard`);
  };
  const completions = (s: McpSession) => s.messages.filter((m) => m.includes('notifications/elicitation/complete')).map((m) => (JSON.parse(m.slice(3)) as { params: { elicitationId: string } }).params.elicitationId);
  let resId = '';
  let secondId = '';

  test('no connection of the service: the person is sent to the add page, adds one, and the call returns the API answer', async () => {
    const s = await open('Claude Code', () => personDoes(() => sophon(['connect', 'add', 'res', '--secret-stdin', '--json'], { home, stdin: SECRET }).then(ok)));
    const r = await call(s, { service: 'res', path: '/user' });
    assert.equal(r.isError, undefined, text(r));
    const out = r.structuredContent as { status: number; body: string; connection: string };
    assert.equal(out.status, 200);
    assert.deepEqual(JSON.parse(out.body), { login: 'octo' });
    resId = out.connection;
    const asked = s.asked[0] as UrlParams;
    assert.equal(asked.mode, 'url');
    assert.equal(asked.url, `${dashboard.origin}/#/add/res`);
    assert.match(asked.message, /claude-code needs a Test res connection/);
    assert.deepEqual(completions(s), [asked.elicitationId]);
  });

  test('declined: a clear tool error with the link and the command, and nothing is sent', async () => {
    const s = await open('Decliner', () => ({ action: 'decline' }));
    const before = api.seen.length;
    const r = await call(s, { service: 'other', path: '/user' });
    assert.equal(r.isError, true);
    assert.match(text(r), new RegExp(`declined opening Sophon's page \\(connection_not_found\\); nothing was sent\\. Open ${dashboard.origin.replace(/\./g, '\\.')}/#/add/other .*\`sophon connect add other\`.*\\(person_declined\\)`));
    const cancelled = await call(await open('Canceller', () => ({ action: 'cancel' })), { service: 'other', path: '/user' });
    assert.match(text(cancelled), /\(person_cancelled\)/);
    assert.equal(api.seen.length, before);
  });

  test('a client without URL elicitation gets the same link in the tool error', async () => {
    const s = await startMcp(home, { name: 'Plain' });
    sessions.push(s);
    const r = await call(s, { service: 'other', path: '/user' });
    assert.equal(r.isError, true);
    assert.equal(text(r), `The person has no other connection. They can add one: \`sophon connect add other\`. Or open ${dashboard.origin}/#/add/other (Sophon's dashboard, where the person is signed in). Then call again. (connection_not_found)`);
  });

  test('a connection that needs re-auth: the person is sent to its page, replaces the credential, and the call completes', async () => {
    const db = new Database(join(home, 'sophon.db'));
    db.prepare("UPDATE connections SET state = 'needs_reauth' WHERE id = ?").run(resId);
    db.close();
    const s = await open('Reauther', () => personDoes(() => sophon(['connect', 'update', resId, '--secret-stdin'], { home, stdin: SECRET }).then(ok)));
    const r = await call(s, { connection: resId, path: '/user' });
    assert.equal((r.structuredContent as { status: number }).status, 200, text(r));
    assert.equal((s.asked[0] as UrlParams).url, `${dashboard.origin}/#/connection/${resId}`);
    assert.equal(completions(s).length, 1);
  });

  test('several connections of the service: the dashboard asks which one, the person picks, the call uses it', async () => {
    const second = (secondId = json<{ connection: { id: string } }>(ok(await sophon(['connect', 'add', 'res', '--label', 'second', '--secret-stdin', '--json'], { home, stdin: SECOND }))).connection.id);
    let offered: string[] = [];
    const s = await open('Picker', () => personDoes(() => answer('picker', (ids) => ((offered = ids), second))));
    const r = await call(s, { service: 'res', path: '/user' });
    const out = r.structuredContent as { status: number; body: string; connection: string };
    assert.equal(out.connection, second, text(r));
    assert.deepEqual(JSON.parse(out.body), { login: 'hubot' });
    assert.equal((s.asked[0] as UrlParams).url, `${dashboard.origin}/#/connections`);
    assert.deepEqual(offered.sort(), [resId, second].sort());
    assert.match(tab.text(), /event: connection\.choose\ndata: .*"skill":"picker","tool":"http_request"/);
  });

  test('a pick cancelled in the dashboard is a clear tool error', async () => {
    const s = await open('Cancel Picker', () => personDoes(() => answer('cancel-picker', () => null)));
    const r = await call(s, { service: 'res', path: '/user' });
    assert.equal(r.isError, true);
    assert.match(text(r), /cancelled the choice of a connection; nothing was sent\. \(person_cancelled\)/);
  });

  test('a skill tool: the pick is asked in the dashboard too, then a re-auth of the picked connection, and the tool runs with it', async () => {
    const second = secondId;
    const db = new Database(join(home, 'sophon.db'));
    db.prepare("UPDATE connections SET state = 'needs_reauth' WHERE id = ?").run(second);
    db.close();
    const s = await open('Skill Runner', (p) =>
      p.mode === 'url' && p.url.endsWith('/#/connections')
        ? personDoes(() => answer('skill-runner', () => second))
        : personDoes(() => sophon(['connect', 'update', second, '--secret-stdin'], { home, stdin: SECOND }).then(ok)),
    );
    const r = (await s.client.callTool({ name: 'github-whoami__whoami', arguments: {} })) as CallToolResult;
    assert.equal(r.isError, undefined, text(r));
    assert.match(text(r), /"login":\s*"hubot"/);
    assert.deepEqual(
      s.asked.map((p) => (p as UrlParams).url),
      [`${dashboard.origin}/#/connections`, `${dashboard.origin}/#/connection/${second}`],
    );
    assert.match(tab.text(), /"skill":"skill-runner","tool":"github-whoami__whoami"/);
  });

  test('no secret and no dashboard token in any MCP message; the steps are audited', async () => {
    await Promise.all(steps);
    for (const s of sessions.splice(0)) {
      await s.close();
      const all = s.messages.join('\n') + s.stderr();
      for (const secret of [SECRET, SECOND, dashboard.token]) for (const f of forms(secret)) assert.ok(!all.includes(f), 'a secret reached an MCP message');
      assert.ok(!tab.text().includes(SECRET) && !tab.text().includes(SECOND));
    }
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; tool: string | null }[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    const elicits = rows.filter((r) => r.action === 'mcp_elicit');
    assert.ok(elicits.some((r) => r.skill === 'claude-code' && r.tool === 'add' && r.outcome === 'ok'));
    assert.ok(elicits.some((r) => r.skill === 'reauther' && r.tool === 'reauth' && r.outcome === 'ok'));
    assert.ok(elicits.some((r) => r.skill === 'picker' && r.tool === 'pick' && r.outcome === 'ok'));
    assert.ok(elicits.some((r) => r.skill === 'decliner' && r.outcome === 'denied'));
  });
});
