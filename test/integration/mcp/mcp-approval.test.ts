import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const SECRET = 'approval-test-secret-0123456789';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('sophon mcp: approvals that time out, a denying policy, a connection that needs re-auth', async () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let id = '';
  const sessions: McpSession[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Mcp: { ApprovalTimeoutSeconds: 1 } } }));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    const r = await sophon(['connect', 'add', 'res', '--secret-stdin', '--json'], { home, stdin: SECRET });
    assert.equal(r.code, 0, r.stderr);
    id = json<{ connection: { id: string } }>(r).connection.id;
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await api?.close();
    await cleanup();
  });
  const call = (s: McpSession, args: Record<string, unknown>) => s.client.callTool({ name: 'http_request', arguments: args }) as Promise<CallToolResult>;

  test('an approval nobody answers is refused after Sophon.Mcp.ApprovalTimeoutSeconds; nothing is sent', async () => {
    const s = await startMcp(home, { name: 'Slow Human', elicit: () => new Promise(() => undefined) });
    sessions.push(s);
    const before = api.seen.length;
    const started = Date.now();
    const r = await call(s, { connection: id, method: 'POST', path: '/hello', body: { a: 1 } });
    assert.equal(r.isError, true);
    assert.match(text(r), /did not answer the approval of POST in time; nothing was sent\. \(approval_timeout\)/);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(s.asked.length, 1);
    assert.equal(api.seen.length, before);
  });

  test('a policy that denies writes refuses them without asking', async () => {
    assert.equal((await sophon(['mcp', 'policy', 'strict-bot', '--writes', 'deny'], { home })).code, 0);
    const s = await startMcp(home, { name: 'Strict Bot', elicit: () => ({ action: 'accept', content: {} }) });
    sessions.push(s);
    const r = await call(s, { connection: id, method: 'DELETE', path: '/hello' });
    assert.match(text(r), /refuses writes \(DELETE\).*`sophon mcp policy strict-bot --writes ask`.*\(write_denied\)/);
    assert.equal(s.asked.length, 0, 'the person was not asked');
    // Reads still work.
    const read = await call(s, { connection: id, path: '/user' });
    assert.equal((read.structuredContent as { status: number }).status, 200, text(read));
  });

  test('a connection that needs re-authentication says how to re-authenticate, and sends nothing', async () => {
    // As the refresher marks a connection whose grant was revoked.
    const db = new Database(join(home, 'sophon.db'));
    db.prepare("UPDATE connections SET state = 'needs_reauth' WHERE id = ?").run(id);
    db.close();
    const s = await startMcp(home, { name: 'Reader' });
    sessions.push(s);
    const before = api.seen.length;
    const r = await call(s, { connection: id, path: '/user' });
    assert.equal(r.isError, true);
    assert.match(text(r), new RegExp(`needs the person to sign in again: \`sophon connect reauth ${id}\`.*\\(needs_reauth\\)`));
    assert.equal(api.seen.length, before);
  });

  test('the decisions are audited', async () => {
    for (const s of sessions.splice(0)) await s.close();
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; detail: string | null }[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    assert.ok(rows.some((r) => r.skill === 'slow-human' && r.action === 'mcp_approval' && r.outcome === 'aborted'));
    assert.ok(rows.some((r) => r.skill === 'strict-bot' && r.action === 'mcp_approval' && r.outcome === 'denied' && /denied by policy/.test(r.detail ?? '')));
    assert.ok(rows.some((r) => r.skill === 'reader' && r.action === 'mcp_call' && /needs_reauth/.test(r.detail ?? '')));
  });
});
