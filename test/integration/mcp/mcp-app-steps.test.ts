import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Envelope, EventPayload } from '../../../shared/contract';
import { ConnectionChoices } from '../../../electron/core/api/connection-choice';
import { dispatch } from '../../../electron/core/api/dispatch';
import { EventHub } from '../../../electron/core/api/events';
import { createOperations } from '../../../electron/core/api/operations';
import { startStepDesk, type StepDesk } from '../../../electron/core/mcp/step-desk';
import { bridgeStoreQuestions } from '../../../electron/core/mcp/store-questions';
import { createCore, type Core } from '../../../electron/core/sophon-core';
import { forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));
const SECRET = 'app-step-canary-secret-4Vb8n1';
const SECOND = 'app-step-canary-second-6Tc3m9';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
type Choice = EventPayload<'connection.choose'>;

/**
 * The desktop app, without Electron (its binary cannot run here): the core pieces electron/main/index.ts runs for the
 * MCP door, in this process, over the same SOPHON_HOME: the step desk (run/app.json, the window at a step's route),
 * ConnectionChoices and bridgeStoreQuestions (the pick dialog). `window` is what the app's renderer calls over IPC:
 * the same operations through dispatch. The person's steps are done through it, as in the app's window.
 */
async function startApp(core: Core, onRoute: (route: string) => void, onChoose: (q: Choice) => void) {
  const hub = new EventHub();
  const choices = new ConnectionChoices({ announce: (userId, payload) => hub.emit(userId, 'connection.choose', payload) });
  const operations = createOperations({ core, ownerUserId: 'default', emit: (userId, event, payload) => hub.emit(userId, event, payload), choices });
  const window = async <T,>(name: string, input: unknown): Promise<T> => {
    const r = (await dispatch(operations, { userId: 'default', isAdmin: true }, name, input)) as Envelope<T>;
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    return r.value;
  };
  // The window, subscribed to the user's events as the app's main process is.
  const unsubscribe = hub.subscribe('default', (event, payload) => {
    if (event === 'connection.choose' && (payload as Choice).phase === 'open') onChoose(payload as Choice);
  });
  const bridge = bridgeStoreQuestions(core.paths.home, choices, 100);
  const desk: StepDesk = await startStepDesk({ home: core.paths.home, userId: 'default', show: onRoute, intervalMs: 50 });
  return {
    window,
    stop: async () => {
      unsubscribe();
      bridge.stop();
      await desk.stop();
    },
  };
}

describe("sophon mcp with no dashboard running: the person's steps are taken in the desktop app", async () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let core: Core;
  let app: Awaited<ReturnType<typeof startApp>>;
  const sessions: McpSession[] = [];
  /** Every route the app's window was asked to show, in order. */
  const routes: string[] = [];
  /** What the person does in the window when it comes up at a route, and when the pick dialog asks (set per test). */
  let person: (route: string) => Promise<unknown> = async () => undefined;
  let chooser: (q: Choice) => Promise<unknown> = async () => undefined;
  const doing: Promise<unknown>[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Mcp: { PersonWaitSeconds: 60 } } }));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : t === SECOND ? 'hubot' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    // A family of two services, as github and github-pat: a skill that names `fam` is satisfied by a `fam-pat` connection.
    await writeFile(join(home, 'connectors', 'fam.json'), JSON.stringify(bearerService('fam', api.url)));
    await writeFile(join(home, 'connectors', 'fam-pat.json'), JSON.stringify({ ...bearerService('fam-pat', api.url), family: 'fam' }));
    await writeFile(join(home, 'connectors', 'other.json'), JSON.stringify(bearerService('other', api.url)));
    // The repository's example skill (a proxied GET /user: read-only), needing `fam`.
    await cp(EXAMPLE, join(home, 'skills', 'whoami'), { recursive: true });
    const m = JSON.parse(await readFile(join(home, 'skills', 'whoami', 'manifest.json'), 'utf8')) as { credentials: { service: string; scopes: string[] }[] };
    m.credentials = [{ ...m.credentials[0]!, service: 'fam', scopes: [] }];
    await writeFile(join(home, 'skills', 'whoami', 'manifest.json'), JSON.stringify(m));
    core = await createCore({ home, env: {} });
    app = await startApp(
      core,
      (route) => {
        routes.push(route);
        doing.push(person(route));
      },
      (q) => void doing.push(chooser(q)),
    );
  });
  afterAll(async () => {
    await Promise.allSettled(doing);
    for (const s of sessions) await s.close().catch(() => undefined);
    await app?.stop();
    core?.close();
    await api?.close();
    await cleanup();
  });

  const open = async (name: string, url = false) => {
    const s = await startMcp(home, url ? { name, url: true, elicit: () => assert.fail('no dashboard runs: no client is sent to a link') } : { name });
    sessions.push(s);
    return s;
  };
  /** A call with a progress token, recording the progress messages. */
  const call = async (s: McpSession, name: string, args: Record<string, unknown>, signal?: AbortSignal) => {
    const progress: string[] = [];
    const result = (await s.client.callTool({ name, arguments: args }, undefined, { onprogress: (p) => void progress.push(p.message ?? ''), signal, timeout: 60_000 })) as CallToolResult;
    return { result, progress };
  };
  let resId = '';
  let secondId = '';

  test('no connection of the service: the window opens at its add page, the person adds it there, the call completes and says where they were asked', async () => {
    assert.equal(existsSync(join(home, 'run', 'dashboard.json')), false);
    const s = await open('Plain Agent');
    person = async (route) => {
      assert.equal(route, '#/add/res');
      await app.window('connections.add', { serviceId: 'res', secret: SECRET, test: false, label: 'Main' });
    };
    const { result, progress } = await call(s, 'http_request', { service: 'res', path: '/user' });
    assert.equal(result.isError, undefined, text(result));
    const out = result.structuredContent as { status: number; body: string; connection: string };
    assert.equal(out.status, 200);
    assert.deepEqual(JSON.parse(out.body), { login: 'octo' });
    resId = out.connection;
    assert.deepEqual(routes, ['#/add/res']);
    assert.match(progress[0] ?? '', /^Sophon asked the person in the Sophon app: plain-agent needs a Test res connection and you have none it may use\. Add one in the Sophon app/);
    assert.match(text(result), /Sophon asked the person in the Sophon app; they added a Test res connection, and the call went on\./);
    assert.deepEqual(await readdir(join(home, 'run', 'mcp-steps')), [], 'the step file is gone');
  });

  test('a connection that needs re-auth: the window opens at its page, the person replaces the key, the call completes', async () => {
    const db = new Database(join(home, 'sophon.db'));
    db.prepare("UPDATE connections SET state = 'needs_reauth' WHERE id = ?").run(resId);
    db.close();
    const s = await open('Reauther');
    person = async (route) => {
      assert.equal(route, `#/connection/${resId}`);
      await app.window('connections.update', { connection: resId, secret: SECRET, test: true });
    };
    const { result } = await call(s, 'http_request', { connection: resId, path: '/user' });
    assert.equal((result.structuredContent as { status: number }).status, 200, text(result));
    assert.equal(routes.at(-1), `#/connection/${resId}`);
    assert.match(text(result), new RegExp(`they signed in to ${resId} again, and the call went on`));
  });

  test('several connections, a client that could open links but no dashboard: the app\'s dialog asks, the pick is used', async () => {
    secondId = (await app.window<{ connection: { id: string } }>('connections.add', { serviceId: 'res', secret: SECOND, test: false, label: 'Second' })).connection.id;
    const s = await open('Picker', true);
    let offered: string[] = [];
    chooser = async (q) => {
      assert.equal(q.skill, 'picker');
      assert.equal(q.tool, 'http_request');
      offered = q.options.map((o) => o.id);
      await app.window('broker.choose', { request: q.request, connection: secondId });
    };
    const { result, progress } = await call(s, 'http_request', { service: 'res', path: '/user' });
    const out = result.structuredContent as { connection: string; body: string };
    assert.equal(out.connection, secondId, text(result));
    assert.deepEqual(JSON.parse(out.body), { login: 'hubot' });
    assert.deepEqual(offered.sort(), [resId, secondId].sort());
    assert.match(progress[0] ?? '', /Pick the one for this call in the Sophon app/);
    assert.match(text(result), new RegExp(`they picked ${secondId}, and the call went on`));
    assert.equal(s.asked.length, 0, 'the client was never sent to a link');
  });

  test('a skill tool needing `fam`: the person adds a `fam-pat` connection (same family) in the app and the tool runs with it', async () => {
    const s = await open('Skill Agent');
    person = async (route) => {
      assert.equal(route, '#/add/fam');
      // The add page lists the family; the person chooses the token service.
      await app.window('connections.add', { serviceId: 'fam-pat', secret: SECOND, test: false, label: 'Token' });
    };
    const { result } = await call(s, 'github-whoami__whoami', {});
    assert.equal(result.isError, undefined, text(result));
    assert.match(text(result), /"login":\s*"hubot"/);
    assert.match(text(result), /they added a Test fam connection, and the call went on/);
  });

  test('a call cancelled while the person is asked ends the wait; nothing is sent and the step file is gone', async () => {
    const s = await open('Canceller');
    const abort = new AbortController();
    person = async () => abort.abort();
    const before = api.seen.length;
    await assert.rejects(call(s, 'http_request', { service: 'other', path: '/user' }, abort.signal));
    assert.equal(routes.at(-1), '#/add/other');
    for (let i = 0; i < 100 && (await readdir(join(home, 'run', 'mcp-steps'))).length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await readdir(join(home, 'run', 'mcp-steps')), []);
    assert.equal(api.seen.length, before);
  });

  test('with the app stopped (run/app.json gone): the tool error names the command and says the app would ask', async () => {
    await app.stop();
    assert.equal(existsSync(join(home, 'run', 'app.json')), false);
    const shown = routes.length;
    const plain = await call(await open('After Quit'), 'http_request', { service: 'other', path: '/user' });
    assert.equal(plain.result.isError, true);
    assert.equal(text(plain.result), 'The person has no other connection. They can add one: `sophon connect add other`. Then call again. (With the Sophon app running, Sophon asks the person there instead.) (connection_not_found)');
    const linkable = await call(await open('After Quit Url', true), 'http_request', { service: 'other', path: '/user' });
    assert.match(text(linkable.result), /\(With the Sophon app or `sophon dashboard` running, Sophon asks the person there instead\.\) \(connection_not_found\)$/);
    assert.equal(routes.length, shown);
  });

  test('no secret in any MCP message or step file; the steps are audited as done in the app', async () => {
    await Promise.allSettled(doing);
    for (const s of sessions.splice(0)) {
      await s.close();
      const all = s.messages.join('\n') + s.stderr();
      for (const secret of [SECRET, SECOND]) for (const f of forms(secret)) assert.ok(!all.includes(f), 'a secret reached an MCP message');
    }
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; tool: string | null; detail: string | null }[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    const elicits = rows.filter((r) => r.action === 'mcp_elicit').map((r) => `${r.skill} ${r.tool} ${r.outcome} ${r.detail}`);
    for (const want of ['plain-agent add ok add: done by the person in the app', 'reauther reauth ok reauth: done by the person in the app', 'picker pick ok pick: done by the person in the app', 'skill-agent add ok add: done by the person in the app', 'canceller add aborted add: aborted']) {
      assert.ok(elicits.includes(want), `${want} in ${JSON.stringify(elicits)}`);
    }
  });
});
