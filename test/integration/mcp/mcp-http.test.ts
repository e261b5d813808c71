import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { firstLine } from '../../helpers/child';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { connectMcpHttp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
const SECRET = 'mcp-http-secret-0123456789abcdef';
const BOB_SECRET = 'mcp-http-bob-secret-fedcba987654';

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A raw POST with the headers given (the SDK client cannot send a foreign Host). */
function rawPost(url: string, headers: Record<string, string>, payload?: string): Promise<{ status: number; body: string }> {
  const body = payload ?? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let out = '';
      res.on('data', (d: Buffer) => (out += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const messageOf = (body: string) => (JSON.parse(body) as { error: { message: string } }).error.message;

async function refusedWith(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StreamableHTTPError) return err.code ?? -1;
    throw err;
  }
  assert.fail('the connection was not refused');
}

describe('sophon mcp --http (Streamable HTTP, an SDK client)', async () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let server: ChildProcess | undefined;
  let url = '';
  let resId = '';
  let token = '';
  let tokenId = '';
  let bobToken = '';
  const sessions: McpSession[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : t === BOB_SECRET ? 'bob' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    const add = async (user: string, secret: string) => {
      const r = await sophon(['--user', user, 'connect', 'add', 'res', '--secret-stdin', '--label', 'Main', '--json'], { home, stdin: secret });
      assert.equal(r.code, 0, r.stderr);
      return json<{ connection: { id: string } }>(r).connection.id;
    };
    resId = await add('default', SECRET);
    await add('bob', BOB_SECRET);
    const created = await sophon(['mcp', 'token', 'create', '--agent', 'remote-bot', '--json'], { home });
    assert.equal(created.code, 0, created.stderr);
    ({ token, id: tokenId } = json<{ token: string; id: string }>(created));
    const bob = await sophon(['--user', 'bob', 'mcp', 'token', 'create', '--agent', 'bobs-bot'], { home });
    assert.equal(bob.code, 0, bob.stderr);
    bobToken = bob.stdout.trim();
    assert.ok(!bob.stderr.includes(bobToken), 'the token goes to stdout only');

    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', SOPHON_HOME: home };
    server = spawn(process.execPath, [BIN, 'mcp', '--http', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await firstLine(server);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await api?.close();
    await cleanup();
  });

  const open = async (name: string, t: string, headers?: Record<string, string>) => {
    const s = await connectMcpHttp(url, { name, token: t, headers });
    sessions.push(s);
    return s;
  };
  const call = (s: McpSession, name: string, args: Record<string, unknown> = {}) => s.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  test('lists the tools and calls http_request through the broker; the agent is the token\'s', async () => {
    const s = await open('Some Client Name', token);
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['http_request', 'list_connections']);
    const before = api.seen.length;
    const r = await call(s, 'http_request', { connection: resId, path: '/echo' });
    assert.equal(r.isError, undefined, text(r));
    assert.equal((r.structuredContent as { status: number }).status, 200);
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${SECRET}`);
    assert.ok(!s.messages.some((m) => m.includes(SECRET)), 'the credential is in no MCP message');

    const agents = json<{ agents: { agent: string; clientName: string | null }[] }>(await sophon(['mcp', 'agents', '--json'], { home }));
    assert.deepEqual(agents.agents.map((a) => a.agent), ['remote-bot'], 'the token names the agent, not the client\'s initialize');
  });

  test('no token, a wrong token or a REST API token: 401', async () => {
    assert.equal(await refusedWith(connectMcpHttp(url, { name: 'x' })), 401);
    assert.equal(await refusedWith(connectMcpHttp(url, { name: 'x', token: `sph_${'A'.repeat(43)}` })), 401);
    const rest = await sophon(['api-token', 'create'], { home });
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(await refusedWith(connectMcpHttp(url, { name: 'x', token: rest.stdout.trim() })), 401, 'a REST token does not open the MCP door');
  });

  test('a foreign Host or Origin: 403 (DNS rebinding), even with a good token', async () => {
    const port = new URL(url).port;
    const auth = { authorization: `Bearer ${token}` };
    const good = await rawPost(url, auth);
    assert.equal(good.status, 200, good.body);
    const host = await rawPost(url, { ...auth, host: `evil.example:${port}` });
    assert.equal(host.status, 403);
    assert.match(messageOf(host.body), /^Host "evil\.example:\d+" is not this server.*DNS-rebinding/);
    const origin = await rawPost(url, { ...auth, origin: 'http://evil.example' });
    assert.equal(origin.status, 403);
    assert.match(messageOf(origin.body), /Origin "http:\/\/evil\.example" may not call this server/);
    assert.equal(await refusedWith(connectMcpHttp(url, { name: 'x', token, headers: { origin: 'https://attacker.test' } })), 403);
  });

  test('an oversized or non-JSON message is refused before the protocol reads it', async () => {
    const auth = { authorization: `Bearer ${token}` };
    // Announced as 5 MiB: the answer comes before any of the body is read (none is sent).
    const big = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(5 * 1024 * 1024) } }, (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: out });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(big.status, 413);
    assert.match(messageOf(big.body), /accepts at most 4194304/);
    const junk = await rawPost(url, auth, '{not json');
    assert.equal(junk.status, 400);
    assert.equal(messageOf(junk.body), 'The message is not valid JSON.');
  });

  test("another user's token sees none of this user's connections, and cannot take over a session", async () => {
    const mine = await open('mine', token);
    await call(mine, 'list_connections');
    const bob = await open('bob', bobToken);
    const listed = (await call(bob, 'list_connections')).structuredContent as { connections: { id: string }[] };
    assert.ok(!listed.connections.some((c) => c.id === resId));
    const before = api.seen.length;
    const r = await call(bob, 'http_request', { connection: resId, path: '/echo' });
    assert.equal(r.isError, true);
    assert.match(text(r), /No connection/);
    assert.equal(api.seen.length, before, 'nothing left for another user\'s connection');

    const sid = mine.sessionId!();
    assert.ok(sid);
    const hijack = await rawPost(url, { authorization: `Bearer ${bobToken}`, 'mcp-session-id': sid });
    assert.equal(hijack.status, 404);
  });

  test('the audit rows of HTTP calls name the agent', async () => {
    const rows = json<{ rows: { action: string; skill: string | null; tool: string | null; outcome: string; connectionId: string | null }[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    assert.ok(rows.some((r) => r.action === 'mcp_call' && r.skill === 'remote-bot' && r.tool === 'http_request' && r.outcome === 'ok' && r.connectionId === resId));
    assert.ok(rows.some((r) => r.action === 'broker_use' && r.skill === 'remote-bot' && r.connectionId === resId));
    for (const r of rows) assert.ok(!JSON.stringify(r).includes(SECRET) && !JSON.stringify(r).includes(token));
  });

  test('a revoked token stops working at once, open sessions included', async () => {
    const s = await open('soon revoked', token);
    assert.equal((await call(s, 'list_connections')).isError, undefined);
    const listed = json<{ tokens: { id: string; agent: string }[] }>(await sophon(['mcp', 'token', 'list', '--json'], { home }));
    assert.ok(listed.tokens.some((t) => t.id === tokenId && t.agent === 'remote-bot'));
    const revoked = await sophon(['mcp', 'token', 'revoke', tokenId], { home });
    assert.equal(revoked.code, 0, revoked.stderr);
    await assert.rejects(call(s, 'list_connections'));
    assert.equal(await refusedWith(connectMcpHttp(url, { name: 'x', token })), 401);
  });
});
