import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import Database from 'better-sqlite3';
import type { CallToolResult, ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { forms } from '../../helpers/canary';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { recordEvents, startDashboard, type Dashboard } from '../../e2e/dashboard-helpers';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));
const TOKEN = 'skill-elicit-canary-5Kq8v2Tz';
const STALE = 'skill-elicit-stale-3Hn7p1Wd';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
type UrlParams = Extract<ElicitRequest['params'], { mode: 'url' }>;

/**
 * A skill that gets the credential injected, calls the API with it and prints the answer and the credential
 * (the door must mask it). It leaves a mark next to itself when it runs, so a test can tell it never did.
 */
const SHOW = (apiUrl: string) => `
import { appendFileSync } from 'node:fs';
appendFileSync(new URL('./ran.txt', import.meta.url), 'ran\\n');
const credential = process.env.SOPHON_CREDENTIAL_API;
const res = await fetch(${JSON.stringify(apiUrl)} + '/user', { headers: { authorization: 'Bearer ' + credential } });
console.log(JSON.stringify({ status: res.status, answer: await res.json(), credential }));
`;

/** A skill needing two services, each through the broker (GET /user on both). */
const PAIR = `
const get = (service) => fetch(process.env.SOPHON_BROKER_URL + '/v1/proxy/' + service + '/user', { headers: { authorization: 'Bearer ' + process.env.SOPHON_BROKER_TOKEN } }).then((r) => r.json());
console.log(JSON.stringify({ alt: (await get('alt')).login, third: (await get('third')).login }));
`;

describe('sophon mcp: a skill tool asks the person (add, re-auth, pick) as http_request does, then runs', async () => {
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let dashboard: Dashboard;
  let tab: ReturnType<typeof recordEvents>;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  const sessions: McpSession[] = [];
  const steps: Promise<unknown>[] = [];
  let marker = '';

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' } } }));
    api = await startUserApi(TOKEN, 'octo-skill');
    await mkdir(join(home, 'connectors'));
    for (const id of ['api', 'alt', 'third']) await writeFile(join(home, 'connectors', `${id}.json`), userApiConnector(id, api.port));
    const skills = join(home, 'skills');
    // The repository's example skill, pointed at the local API: a proxied GET /user (read-only, no approval).
    await cp(EXAMPLE, join(skills, 'whoami'), { recursive: true });
    const m = JSON.parse(await readFile(join(skills, 'whoami', 'manifest.json'), 'utf8')) as { credentials: { service: string; scopes: string[] }[] };
    m.credentials = [{ ...m.credentials[0]!, service: 'api', scopes: [] }];
    await writeFile(join(skills, 'whoami', 'manifest.json'), JSON.stringify(m));

    await mkdir(join(skills, 'show'));
    await writeFile(join(skills, 'show', 'show.mjs'), SHOW(api.url));
    await writeFile(join(skills, 'show', 'manifest.json'), JSON.stringify({ id: 'show', name: 'Show', tools: [{ name: 'me', description: 'Who the API says I am.', command: ['node', 'show.mjs'] }], credentials: [{ service: 'api', access: 'injected' }] }));
    marker = join(skills, 'show', 'ran.txt');

    await mkdir(join(skills, 'pair'));
    await writeFile(join(skills, 'pair', 'pair.mjs'), PAIR);
    await writeFile(
      join(skills, 'pair', 'manifest.json'),
      JSON.stringify({
        id: 'pair',
        name: 'Pair',
        tools: [{ name: 'both', command: ['node', 'pair.mjs'] }],
        credentials: ['alt', 'third'].map((service) => ({ service, access: 'proxy', methods: ['GET'], paths: ['/user'] })),
      }),
    );
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
    const s = await startMcp(home, elicit ? { name, elicit, url: true } : { name });
    sessions.push(s);
    return s;
  };
  const call = (s: McpSession, name: string) => s.client.callTool({ name, arguments: {} }) as Promise<CallToolResult>;
  const ok = (r: CliResult) => {
    assert.equal(r.code, 0, r.stderr);
    return r;
  };
  /** The person, after consenting to open the link: does `step` for real (CLI, dashboard REST) while the call waits. */
  const personDoes = (step: () => Promise<unknown>): ElicitResult => {
    steps.push(step());
    return { action: 'accept' };
  };
  const add = (service: string, label = 'Main') => sophon(['connect', 'add', service, '--label', label, '--secret-stdin', '--json'], { home, stdin: TOKEN }).then(ok);
  const rest = async <T,>(operation: string, input: object): Promise<T> => {
    const res = await fetch(`${dashboard.origin}/api/${operation}`, { method: 'POST', headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
    const body = (await res.json()) as { ok: boolean; value: T; error?: { message: string } };
    assert.ok(body.ok, body.error?.message);
    return body.value;
  };
  /** The person's answer, in their dashboard window, to the pick the agent's call asked there. */
  const answer = async (agent: string, pick: (options: string[]) => string | null) => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const { questions } = await rest<{ questions: { request: string; skill: string; tool: string; options: { id: string }[] }[] }>('broker.questions', {});
      const q = questions.find((x) => x.skill === agent);
      if (q) return rest('broker.choose', { request: q.request, connection: pick(q.options.map((o) => o.id)) });
    }
    throw new Error(`no question of ${agent} reached the dashboard`);
  };
  const completions = (s: McpSession) => s.messages.filter((m) => m.includes('notifications/elicitation/complete')).map((m) => (JSON.parse(m.slice(3)) as { params: { elicitationId: string } }).params.elicitationId);
  let apiId = '';

  test('a client without elicitation: the tool error names the command and the link, and the skill never ran', async () => {
    const s = await open('Plain');
    const r = await call(s, 'show__me');
    assert.equal(r.isError, true);
    assert.equal(
      text(r),
      `show__me needs a Local api connection and the person has none. They can connect it with \`sophon connect add api\`. Or open ${dashboard.origin}/#/add/api (Sophon's dashboard, where the person is signed in). Then call again. (connection_not_found)`,
    );
    assert.equal(api.seen.length, 0);
    assert.ok(!existsSync(marker), 'the skill did not run');
  });

  test('declined: a clear tool error with the link and the command; the skill never ran', async () => {
    const s = await open('Skill Decliner', () => ({ action: 'decline' }));
    const r = await call(s, 'show__me');
    assert.equal(r.isError, true);
    assert.equal((s.asked[0] as UrlParams).url, `${dashboard.origin}/#/add/api`);
    assert.match(text(r), new RegExp(`^The person declined opening Sophon's page \\(connection_not_found\\); nothing was sent\\. Open ${dashboard.origin.replace(/\./g, '\\.')}/#/add/api .*\`sophon connect add api\`.*\\(person_declined\\)$`));
    assert.equal(api.seen.length, 0);
    assert.ok(!existsSync(marker), 'the skill did not run');
  });

  test('no connection: URL elicitation to the add page, the person adds one, the skill runs and its output comes back masked', async () => {
    const s = await open('Skill Adder', (p) => (p.mode === 'url' ? personDoes(() => add('api')) : { action: 'accept', content: {} }));
    const r = await call(s, 'show__me');
    assert.equal(r.isError, undefined, text(r));
    const out = r.structuredContent as { exitCode: number; stdout: string };
    assert.equal(out.exitCode, 0);
    assert.deepEqual(JSON.parse(out.stdout), { status: 200, answer: { login: 'octo-skill' }, credential: '[REDACTED]' });
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${TOKEN}`, 'the skill called the API with the added credential');
    const asked = s.asked[0] as UrlParams;
    assert.equal(asked.mode, 'url');
    assert.equal(asked.url, `${dashboard.origin}/#/add/api`);
    assert.match(asked.message, /^skill-adder needs a Local api connection/);
    // The URL step, then the approval of a skill that may change things (its credential is injected).
    assert.deepEqual(s.asked.map((p) => p.mode ?? 'form'), ['url', 'form']);
    assert.deepEqual(completions(s), [asked.elicitationId]);
    assert.ok(existsSync(marker));
    apiId = json<{ connections: { id: string; serviceId: string }[] }>(ok(await sophon(['connect', 'list', '--json'], { home }))).connections.find((c) => c.serviceId === 'api')!.id;
  });

  test('two services missing: two add steps in the one call, then the skill runs with both', async () => {
    const s = await open('Pair Adder', (p) => personDoes(() => add((p as UrlParams).url.endsWith('/alt') ? 'alt' : 'third')));
    const r = await call(s, 'pair__both');
    assert.equal(r.isError, undefined, text(r));
    assert.deepEqual(JSON.parse((r.structuredContent as { stdout: string }).stdout), { alt: 'octo-skill', third: 'octo-skill' });
    assert.deepEqual(
      s.asked.map((p) => (p as UrlParams).url),
      [`${dashboard.origin}/#/add/alt`, `${dashboard.origin}/#/add/third`],
    );
    assert.equal(completions(s).length, 2);
  });

  test('a required connection that needs re-auth: sent to its page, the person replaces the credential, the skill runs', async () => {
    const db = new Database(join(home, 'sophon.db'));
    db.prepare("UPDATE connections SET state = 'needs_reauth' WHERE id = ?").run(apiId);
    db.close();
    const s = await open('Skill Reauther', () => personDoes(() => sophon(['connect', 'update', apiId, '--secret-stdin'], { home, stdin: TOKEN }).then(ok)));
    const r = await call(s, 'github-whoami__whoami');
    assert.equal(r.isError, undefined, text(r));
    assert.deepEqual(JSON.parse((r.structuredContent as { stdout: string }).stdout), { login: 'octo-skill' });
    assert.deepEqual(
      s.asked.map((p) => (p as UrlParams).url),
      [`${dashboard.origin}/#/connection/${apiId}`],
    );
  });

  test('two connections of the service: without elicitation the error names the choice; with it the dashboard asks and the pick is the one used', async () => {
    const second = json<{ connection: { id: string } }>(await add('api', 'Work')).connection.id;
    // The first connection's key is now one the API refuses: only a run with the picked second one succeeds.
    ok(await sophon(['connect', 'update', apiId, '--secret-stdin', '--no-test'], { home, stdin: STALE }));

    const plain = await call(await open('Plain'), 'github-whoami__whoami');
    assert.equal(plain.isError, true);
    assert.match(text(plain), new RegExp(`^github-whoami__whoami needs one api connection and several fit: .*${second} \\("Work"\\).*\`sophon mcp policy plain --connections <id>\`\\. \\(With the Sophon app running, Sophon asks the person there instead\\.\\) \\(connection_ambiguous\\)$`));

    let offered: string[] = [];
    const s = await open('Skill Picker', () => personDoes(() => answer('skill-picker', (ids) => ((offered = ids), second))));
    const before = api.seen.length;
    const r = await call(s, 'github-whoami__whoami');
    assert.equal(r.isError, undefined, text(r));
    assert.deepEqual(JSON.parse((r.structuredContent as { stdout: string }).stdout), { login: 'octo-skill' });
    assert.deepEqual(offered.sort(), [apiId, second].sort());
    assert.equal((s.asked[0] as UrlParams).url, `${dashboard.origin}/#/connections`);
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${TOKEN}`);
    assert.match(tab.text(), /"skill":"skill-picker","tool":"github-whoami__whoami"/);
  });

  test('no secret in any MCP message; every step is an mcp_elicit row under the agent, every call an mcp_call row', async () => {
    await Promise.all(steps);
    for (const s of sessions.splice(0)) {
      await s.close();
      const all = s.messages.join('\n') + s.stderr();
      for (const secret of [TOKEN, STALE, dashboard.token]) for (const f of forms(secret)) assert.ok(!all.includes(f), 'a secret reached an MCP message');
    }
    type Row = { action: string; outcome: string; skill: string | null; tool: string | null; serviceId: string | null; detail: string | null };
    const rows = json<{ rows: Row[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    const has = (r: Partial<Row>) => rows.some((x) => Object.entries(r).every(([k, v]) => x[k as keyof Row] === v));
    assert.ok(has({ action: 'mcp_elicit', skill: 'skill-decliner', tool: 'add', serviceId: 'api', outcome: 'denied' }));
    assert.ok(has({ action: 'mcp_elicit', skill: 'skill-adder', tool: 'add', serviceId: 'api', outcome: 'ok' }));
    assert.ok(has({ action: 'mcp_elicit', skill: 'pair-adder', tool: 'add', serviceId: 'alt', outcome: 'ok' }));
    assert.ok(has({ action: 'mcp_elicit', skill: 'pair-adder', tool: 'add', serviceId: 'third', outcome: 'ok' }));
    assert.ok(has({ action: 'mcp_elicit', skill: 'skill-reauther', tool: 'reauth', outcome: 'ok' }));
    assert.ok(has({ action: 'mcp_elicit', skill: 'skill-picker', tool: 'pick', outcome: 'ok' }));
    assert.ok(has({ action: 'mcp_call', skill: 'plain', tool: 'show__me', outcome: 'denied' }));
    assert.ok(has({ action: 'mcp_call', skill: 'skill-adder', tool: 'show__me', outcome: 'ok' }));
    assert.ok(has({ action: 'mcp_call', skill: 'skill-picker', tool: 'github-whoami__whoami', outcome: 'ok' }));
    for (const x of rows) for (const secret of [TOKEN, STALE]) assert.ok(!JSON.stringify(x).includes(secret));
  });
});

describe('sophon mcp: a skill tool with no connection and no dashboard running', async () => {
  test('the tool error names the command and says the app (or, for a client that could open a link, a dashboard) would ask; nothing runs', async () => {
    const { home, cleanup } = await tempHome();
    const api = await startUserApi(TOKEN);
    const sessions: McpSession[] = [];
    try {
      await mkdir(join(home, 'connectors'));
      await writeFile(join(home, 'connectors', 'api.json'), userApiConnector('api', api.port));
      await cp(EXAMPLE, join(home, 'skills', 'whoami'), { recursive: true });
      const m = JSON.parse(await readFile(join(home, 'skills', 'whoami', 'manifest.json'), 'utf8')) as { credentials: { service: string; scopes: string[] }[] };
      m.credentials = [{ ...m.credentials[0]!, service: 'api', scopes: [] }];
      await writeFile(join(home, 'skills', 'whoami', 'manifest.json'), JSON.stringify(m));
      const plain = await startMcp(home, { name: 'Plain' });
      const asker = await startMcp(home, { name: 'Asker', url: true, elicit: () => assert.fail('no dashboard: nobody is sent anywhere') });
      sessions.push(plain, asker);
      const expected = 'github-whoami__whoami needs a Local api connection and the person has none. They can connect it with `sophon connect add api`. Then call again.';
      const r = (await plain.client.callTool({ name: 'github-whoami__whoami', arguments: {} })) as CallToolResult;
      assert.equal(r.isError, true);
      assert.equal(text(r), `${expected} (With the Sophon app running, Sophon asks the person there instead.) (connection_not_found)`);
      const a = (await asker.client.callTool({ name: 'github-whoami__whoami', arguments: {} })) as CallToolResult;
      assert.equal(text(a), `${expected} (With the Sophon app or \`sophon dashboard\` running, Sophon asks the person there instead.) (connection_not_found)`);
      assert.equal(asker.asked.length, 0);
      assert.equal(api.seen.length, 0);
    } finally {
      for (const s of sessions) await s.close().catch(() => undefined);
      await api.close();
      await cleanup();
    }
  });
});
