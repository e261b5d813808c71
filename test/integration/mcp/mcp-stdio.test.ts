import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const SECRET = 'mcp-test-secret-0123456789abcdef';
const TWO_A = 'two-a-secret-aaaaaaaaaaaaaaaa';
const TWO_B = 'two-b-secret-bbbbbbbbbbbbbbbb';

interface AuditRow {
  action: string;
  outcome: string;
  skill: string | null;
  tool: string | null;
  connectionId: string | null;
  detail: string | null;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('sophon mcp over stdio (an SDK client)', async () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let resId = '';
  const sessions: McpSession[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : t === TWO_A || t === TWO_B ? 'two' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    await writeFile(join(home, 'connectors', 'two.json'), JSON.stringify(bearerService('two', api.url)));
    const add = async (service: string, label: string, secret: string) => {
      const r = await sophon(['connect', 'add', service, '--secret-stdin', '--label', label, '--json'], { home, stdin: secret });
      assert.equal(r.code, 0, r.stderr);
      return json<{ connection: { id: string } }>(r).connection.id;
    };
    resId = await add('res', 'Main', SECRET);
    await add('two', 'Work', TWO_A);
    await add('two', 'Home', TWO_B);
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await api?.close();
    await cleanup();
  });

  const open = async (name: string, elicit?: Parameters<typeof startMcp>[1]['elicit']) => {
    const s = await startMcp(home, { name, elicit });
    sessions.push(s);
    return s;
  };
  const call = (s: McpSession, name: string, args: Record<string, unknown> = {}) => s.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  test('lists its tools with output schemas, and the connections the agent may use (no secret, no hint)', async () => {
    const s = await open('Test Reader');
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['http_request', 'list_connections']);
    for (const t of tools) assert.equal(t.outputSchema?.type, 'object', `${t.name} has an output schema`);
    assert.match(tools.find((t) => t.name === 'http_request')!.description!, new RegExp(resId));
    const r = await call(s, 'list_connections');
    assert.equal(r.isError, undefined);
    const listed = (r.structuredContent as { connections: Record<string, unknown>[] }).connections;
    assert.deepEqual(listed.map((c) => c.service).sort(), ['res', 'two', 'two']);
    for (const c of listed) assert.deepEqual(Object.keys(c).sort(), ['account', 'id', 'label', 'scopes', 'service', 'serviceName', 'state']);
    assert.ok(!JSON.stringify(s.messages).includes(SECRET.slice(-4)), 'no hint of the secret either');
  });

  test('a GET through http_request: the service sees the credential, the agent gets it redacted', async () => {
    const s = await open('Test Reader');
    const before = api.seen.length;
    const r = await call(s, 'http_request', { connection: resId, path: '/echo', query: { q: 'x y' } });
    assert.equal(r.isError, undefined, text(r));
    const out = r.structuredContent as { status: number; body: string; headers: Record<string, string>; truncated: boolean };
    assert.equal(out.status, 200);
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(api.seen.at(-1)!.url, '/echo?q=x+y');
    assert.ok(!out.body.includes(SECRET) && !JSON.stringify(out.headers).includes(SECRET));
    assert.match(out.body, /\[REDACTED/);
    assert.match(text(r), /^HTTP 200/);
    assert.ok(!s.messages.some((m) => m.includes(SECRET)));
    // Named by service when there is only one connection of it.
    const bySvc = await call(s, 'http_request', { service: 'res', path: '/user' });
    assert.equal((bySvc.structuredContent as { status: number }).status, 200, text(bySvc));
  });

  test('a large body is truncated with a note', async () => {
    const s = await open('Test Reader');
    const r = await call(s, 'http_request', { connection: resId, path: '/big', query: { bytes: 100_000 } });
    const out = r.structuredContent as { body: string; truncated: boolean; bodyBytes: number };
    assert.equal(out.truncated, true);
    assert.equal(out.bodyBytes, 100_000);
    assert.ok(out.body.length < 100_000);
    assert.match(text(r), /truncated/);
  });

  test('a write approved through form elicitation is sent; one declined is not', async () => {
    const approving = await open('Writer Bot', () => ({ action: 'accept', content: {} }));
    const before = api.seen.length;
    const ok = await call(approving, 'http_request', { connection: resId, method: 'POST', path: '/hello', body: { title: 'hi', token: 'not-shown' } });
    assert.equal(ok.isError, undefined, text(ok));
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.method, 'POST');
    assert.equal(approving.asked.length, 1);
    const message = approving.asked[0]!.message;
    assert.match(message, /POST/);
    assert.match(message, new RegExp(`127\\.0\\.0\\.1:${api.port}/hello`));
    assert.match(message, /2 field\(s\): title, token/);
    assert.ok(!message.includes('not-shown'), 'the body summary names fields, never values');

    const declining = await open('Writer Bot', () => ({ action: 'decline' }));
    const no = await call(declining, 'http_request', { connection: resId, method: 'DELETE', path: '/hello' });
    assert.equal(no.isError, true);
    assert.match(text(no), /declined the DELETE call; nothing was sent\. \(write_declined\)/);
    assert.equal(api.seen.length, before + 1, 'nothing left for the declined call');
  });

  test('a client that cannot elicit is told how to allow writes; the policy then lets it write', async () => {
    const s = await open('No Elicit');
    const before = api.seen.length;
    const r = await call(s, 'http_request', { connection: resId, method: 'PUT', path: '/hello', body: 'x' });
    assert.equal(r.isError, true);
    assert.match(text(r), /sophon mcp policy no-elicit --writes allow/);
    assert.equal(api.seen.length, before);
    const set = await sophon(['mcp', 'policy', 'no-elicit', '--writes', 'allow'], { home });
    assert.equal(set.code, 0, set.stderr);
    const again = await call(s, 'http_request', { connection: resId, method: 'PUT', path: '/hello', body: 'x' });
    assert.equal(again.isError, undefined, text(again));
    assert.equal(api.seen.length, before + 1);
  });

  test('a missing connection, a missing service and an ambiguous service are clear errors; nothing is guessed', async () => {
    const s = await open('Test Reader');
    const before = api.seen.length;
    const missing = await call(s, 'http_request', { connection: 'nope', path: '/user' });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /No connection "nope".*sophon connect add <service>/);
    const noService = await call(s, 'http_request', { service: 'github', path: '/user' });
    assert.match(text(noService), /no github connection.*`sophon connect add github`/);
    const ambiguous = await call(s, 'http_request', { service: 'two', path: '/user' });
    assert.equal(ambiguous.isError, true);
    assert.match(text(ambiguous), /"two" fits 2 connections: two-\S+ \("(Work|Home)", two\), two-\S+ \("(Work|Home)", two\)\. Ask the person which one, then name it with "connection"\. \(With the Sophon app running, Sophon asks the person there instead\.\) \(connection_ambiguous\)/);
    assert.match(text(ambiguous), /"Work"/);
    assert.match(text(ambiguous), /"Home"/);
    const byLabel = await call(s, 'http_request', { connection: 'Home', path: '/user' });
    assert.equal((byLabel.structuredContent as { status: number }).status, 200, text(byLabel));
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${TWO_B}`);
  });

  test('a policy limits the connections an agent sees and uses', async () => {
    const set = await sophon(['mcp', 'policy', 'limited', '--connections', resId], { home });
    assert.equal(set.code, 0, set.stderr);
    const s = await open('Limited');
    const listed = (await call(s, 'list_connections')).structuredContent as { connections: { id: string }[] };
    assert.deepEqual(listed.connections.map((c) => c.id), [resId]);
    const refused = await call(s, 'http_request', { connection: 'Work', path: '/user' });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /may not use two-\S+\. The person can allow it: `sophon mcp policy limited --connections /);
    const agents = json<{ agents: { agent: string; connections: unknown; writes: string }[] }>(await sophon(['mcp', 'agents', '--json'], { home }));
    const byName = new Map(agents.agents.map((a) => [a.agent, a]));
    assert.deepEqual(byName.get('limited')!.connections, [resId]);
    assert.equal(byName.get('test-reader')!.connections, 'all');
    assert.equal(byName.get('test-reader')!.writes, 'ask');
  });

  test('every tool call and approval decision is an audit row under the agent', async () => {
    for (const s of sessions.splice(0)) await s.close();
    const rows = json<{ rows: AuditRow[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    const of = (skill: string, action: string) => rows.filter((r) => r.skill === skill && r.action === action);
    assert.ok(of('test-reader', 'mcp_call').some((r) => r.tool === 'list_connections' && r.outcome === 'ok'));
    assert.ok(of('test-reader', 'mcp_call').some((r) => r.tool === 'http_request' && r.outcome === 'denied' && /connection_ambiguous/.test(r.detail ?? '')));
    assert.ok(of('test-reader', 'broker_use').some((r) => r.tool === 'http_request' && r.connectionId === resId && r.outcome === 'ok'));
    const approvals = of('writer-bot', 'mcp_approval');
    assert.ok(approvals.some((r) => r.outcome === 'ok' && /approved by the person: POST/.test(r.detail ?? '')));
    assert.ok(approvals.some((r) => r.outcome === 'denied' && /declined by the person: DELETE/.test(r.detail ?? '')));
    assert.ok(of('no-elicit', 'mcp_approval').some((r) => r.outcome === 'denied' && /cannot ask/.test(r.detail ?? '')));
    assert.ok(of('no-elicit', 'mcp_approval').some((r) => r.outcome === 'ok' && /allowed by policy/.test(r.detail ?? '')));
    for (const r of rows) assert.ok(!JSON.stringify(r).includes(SECRET));
  });
});
