// The broker's attack suite (test/integration/broker/proxy-attacks.security.test.ts) run through the MCP door:
// the same hostile paths, hosts, headers and bodies given to `http_request` by an agent, over stdio and (for
// another user's connection) over HTTP with another user's token. Each is a clear tool error; the local API
// counts what reaches it, so "nothing was sent" is checked, and nothing reaches any host but the service's.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { firstLine } from '../../helpers/child';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { connectMcpHttp, startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
const SECRET = 'ghp_McpAttackSecret/with+odd=chars"and\\quotes';
const BOB_SECRET = 'bob-mcp-attack-secret-0123456789';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
/** The code at the end of a tool error: `… (code)`. */
const codeOf = (r: CallToolResult) => /\(([a-z_]+)\)\s*$/.exec(text(r))?.[1] ?? null;

function leaks(s: string): string[] {
  return [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('base64url'), JSON.stringify(SECRET).slice(1, -1), BOB_SECRET].filter((f) => s.includes(f));
}

describe('the broker attack suite through the MCP door (http_request)', () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let resId = '';
  const literalIds: string[] = [];
  let bobId = '';
  let s: McpSession;
  let httpServer: ChildProcess | undefined;
  const messages: string[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: { MaxRequestBytes: 1024, MaxResponseBytes: 64 * 1024 } } }));
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : t === BOB_SECRET ? 'bob' : null));
    await mkdir(join(home, 'connectors'));
    const services = [
      bearerService('res', api.url),
      // Not local: an address on this machine, however it is written, is refused before anything is sent.
      // (A connector must use https unless local, and name its host as the URL parser normalises it.)
      { ...bearerService('decimal-ip', `https://2130706433:${api.port}`), local: false },
      { ...bearerService('octal-ip', `https://0177.0.0.1:${api.port}`), local: false },
      { ...bearerService('mapped-ipv6', `https://[::ffff:127.0.0.1]:${api.port}`), local: false },
    ];
    for (const svc of services) await writeFile(join(home, 'connectors', `${svc.id}.json`), JSON.stringify(svc));
    const add = async (serviceId: string, secret: string, user = 'default') => {
      const r = await sophon(['--user', user, 'connect', 'add', serviceId, '--secret-stdin', '--no-test', '--json'], { home, stdin: secret });
      assert.equal(r.code, 0, r.stderr);
      return json<{ connection: { id: string } }>(r).connection.id;
    };
    resId = await add('res', SECRET);
    for (const id of ['decimal-ip', 'octal-ip', 'mapped-ipv6']) literalIds.push(await add(id, SECRET));
    bobId = await add('res', BOB_SECRET, 'bob');
    // Writes allowed: the attacks below are about where a call goes, not about approval.
    assert.equal((await sophon(['mcp', 'policy', 'attacker', '--writes', 'allow'], { home })).code, 0);
    s = await startMcp(home, { name: 'Attacker' }, messages);
  });
  afterAll(async () => {
    await s?.close().catch(() => undefined);
    if (httpServer && httpServer.exitCode === null) {
      const exited = new Promise((r) => httpServer!.once('exit', r));
      httpServer.kill('SIGTERM');
      await exited;
    }
    await api?.close();
    await cleanup();
  });

  const req = (args: Record<string, unknown>) => s.client.callTool({ name: 'http_request', arguments: { connection: resId, ...args } }) as Promise<CallToolResult>;

  /** Refused with one of `codes`, and nothing reached the service. */
  async function refused(args: Record<string, unknown>, codes: string[]): Promise<void> {
    const before = api.seen.length;
    const r = await req(args);
    assert.equal(r.isError, true, `${JSON.stringify(args).slice(0, 200)}: ${text(r)}`);
    assert.ok(codes.includes(codeOf(r) ?? ''), `${JSON.stringify(args).slice(0, 200)}: ${text(r)}`);
    assert.equal(api.seen.length, before, `${JSON.stringify(args).slice(0, 200)}: nothing is sent`);
  }

  test('absolute URLs and //host paths are refused, whatever host they name', async () => {
    for (const path of [
      'http://evil.example/x',
      `http://127.0.0.1:${api.port}/user`,
      'http://2130706433/user',
      'http://0x7f.1/user',
      `http://[::ffff:127.0.0.1]:${api.port}/user`,
      'https://user@evil.example/x',
      '//evil.example/user',
      '///evil.example/user',
      'evil.example/user',
    ]) {
      await refused({ path }, ['absolute_url', 'bad_path', 'bad_request', 'path_traversal', 'invalid_arguments']);
    }
  });

  test('.. and encoded traversal are refused before anything is sent', async () => {
    for (const path of ['/../../etc/passwd', '/a/../user', '/%2e%2e/user', '/%2E%2e/user', '/.%2e/user', '/a%2fb', '/a%2F..%2Fb', '/a%5cb', '/%252e%252e/user', '/a\\b', '/./user']) {
      await refused({ path }, ['path_traversal', 'bad_path']);
    }
  });

  test('@ in a path never changes the host: the call still goes to the service', async () => {
    const before = api.seen.length;
    const r = await req({ path: '/@evil.example/user' });
    assert.equal((r.structuredContent as { status: number }).status, 404, text(r));
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.url, '/@evil.example/user');
    assert.equal(api.seen.at(-1)!.headers.host, api.host);
  });

  test('header overrides (Host, Authorization, forwarding, cookies) are dropped; the catalog credential wins; the echo comes back redacted', async () => {
    const before = api.seen.length;
    const r = await req({
      path: '/echo',
      headers: { Host: 'evil.example', Authorization: 'Bearer stolen-token', 'Proxy-Authorization': 'Basic Zm9vOmJhcg==', Cookie: 'a=b', 'X-Forwarded-Host': 'evil.example', Forwarded: 'host=evil.example', 'X-Kept': 'yes' },
    });
    assert.equal((r.structuredContent as { status: number }).status, 200, text(r));
    const seen = api.seen[before]!.headers;
    assert.equal(seen.host, api.host);
    assert.equal(seen.authorization, `Bearer ${SECRET}`);
    for (const h of ['proxy-authorization', 'cookie', 'x-forwarded-host', 'forwarded']) assert.equal(seen[h], undefined, h);
    assert.equal(seen['x-kept'], 'yes');
    assert.deepEqual(leaks(JSON.stringify(r)), [], 'the echoed credential is redacted in every encoding');
  });

  test('CR/LF in a header value is refused; nothing is sent', async () => {
    await refused({ path: '/user', headers: { 'x-a': 'b\r\nHost: evil.example' } }, ['bad_header', 'invalid_arguments']);
  });

  test('an oversized body is refused (body_too_large) before anything is sent; an oversized answer is a tool error', async () => {
    await refused({ method: 'POST', path: '/echo', body: 'x'.repeat(2000) }, ['body_too_large']);
    await refused({ method: 'POST', path: '/echo', body: { data: 'y'.repeat(2000) } }, ['body_too_large']);
    const before = api.seen.length;
    const big = await req({ path: '/big', query: { bytes: 200 * 1024 } });
    assert.equal(big.isError, true, text(big));
    assert.equal(api.seen.length, before + 1);
  });

  test('redirects are never followed: one that leaves the service is refused', async () => {
    const before = api.seen.length;
    const r = await req({ path: '/redirect', query: { to: 'http://evil.example/steal' } });
    assert.equal(r.isError, true, text(r));
    assert.equal(codeOf(r), 'redirect_refused');
    assert.equal(api.seen.length, before + 1, 'answered once, not followed');
  });

  test('a non-local service at a loopback IP literal (decimal, octal, IPv4-mapped IPv6) is refused', async () => {
    for (const id of literalIds) await refused({ connection: id, path: '/user' }, ['address_refused']);
  });

  test('unknown connections, services and tools; malformed arguments: clear tool errors', async () => {
    await refused({ connection: 'no-such-connection', path: '/user' }, ['connection_not_found']);
    await refused({ connection: undefined, service: 'no-such-service', path: '/user' }, ['connection_not_found']);
    await refused({ path: 'x'.repeat(5000) }, ['invalid_arguments']);
    await refused({ path: '/user', method: 'GET /evil HTTP/1.1' }, ['invalid_arguments']);
    await refused({ path: '/user', extra: true }, ['invalid_arguments']);
    await refused({ path: '/user', body: 42 }, ['invalid_arguments']);
    const unknown = (await s.client.callTool({ name: 'exec_shell', arguments: { cmd: 'id' } })) as CallToolResult;
    assert.equal(codeOf(unknown), 'unknown_tool');
  });

  test("over HTTP with another user's token: the other user's connection does not exist for it, and nothing is sent", async () => {
    const bob = await sophon(['--user', 'bob', 'mcp', 'token', 'create', '--agent', 'bobs-bot', '--json'], { home });
    const bobToken = json<{ token: string }>(bob).token;
    httpServer = spawn(process.execPath, [BIN, 'mcp', '--http', '--port', '0'], { env: { ...process.env, NO_COLOR: '1', SOPHON_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await firstLine(httpServer);
    const b = await connectMcpHttp(url, { name: 'x', token: bobToken }, messages);
    try {
      const listed = (await b.client.callTool({ name: 'list_connections', arguments: {} })) as CallToolResult;
      assert.deepEqual((listed.structuredContent as { connections: { id: string }[] }).connections.map((c) => c.id), [bobId]);
      const before = api.seen.length;
      const foreign = (await b.client.callTool({ name: 'http_request', arguments: { connection: resId, path: '/user' } })) as CallToolResult;
      assert.equal(foreign.isError, true, text(foreign));
      assert.equal(codeOf(foreign), 'connection_not_found', text(foreign));
      assert.equal(api.seen.length, before, 'nothing was sent');
      // By service: bob's own connection, with bob's credential.
      const own = (await b.client.callTool({ name: 'http_request', arguments: { service: 'res', path: '/user' } })) as CallToolResult;
      assert.equal((own.structuredContent as { status: number }).status, 200, text(own));
      assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${BOB_SECRET}`);
      assert.equal(api.seen.length, before + 1);
      assert.ok(api.seen.slice(before).every((x) => x.headers.authorization !== `Bearer ${SECRET}`), "the other user's credential never left");
    } finally {
      await b.close();
    }
  });

  test('nothing crashed, nothing reached another host, no MCP message held a secret, every refusal is audited', async () => {
    const ok = (await s.client.callTool({ name: 'list_connections', arguments: {} })) as CallToolResult;
    assert.equal(ok.isError, undefined, text(ok));
    assert.ok(api.seen.every((x) => x.headers.host === api.host), 'only the service host was ever reached');
    for (const m of messages) assert.deepEqual(leaks(m), [], m.slice(0, 200));
    assert.deepEqual(leaks(s.stderr()), []);
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; detail: string | null }[] }>(await sophon(['audit', '--skill', 'attacker', '--json', '--limit', '1000'], { home })).rows;
    const denied = rows.filter((r) => r.action === 'mcp_call' && r.outcome !== 'ok').map((r) => (r.detail ?? '').split(':')[0]);
    for (const code of ['absolute_url', 'path_traversal', 'body_too_large', 'address_refused', 'connection_not_found', 'invalid_arguments', 'redirect_refused']) {
      assert.ok(denied.includes(code), `${code} audited: ${[...new Set(denied)].join(', ')}`);
    }
    for (const r of rows) assert.deepEqual(leaks(r.detail ?? ''), []);
  });
});
