import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('MCP door: the canary never leaves the vault; hostile arguments are refused', async () => {
  const canary = `canary-${randomBytes(12).toString('hex')}`;
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let id = '';
  const messages: string[] = [];
  const sessions: McpSession[] = [];
  const results: CallToolResult[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: { MaxRequestBytes: 2048 } } }));
    api = await startResourceServer((t) => (t === canary ? 'octo' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'canary.json'), JSON.stringify(bearerService('canary', api.url)));
    const r = await sophon(['connect', 'add', 'canary', '--secret-stdin', '--json'], { home, stdin: canary });
    assert.equal(r.code, 0, r.stderr);
    id = json<{ connection: { id: string } }>(r).connection.id;
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await api?.close();
    await cleanup();
  });

  const session = async (name: string, elicit?: Parameters<typeof startMcp>[1]['elicit']) => {
    const s = await startMcp(home, { name, elicit }, messages);
    sessions.push(s);
    return s;
  };
  const call = async (s: McpSession, args: Record<string, unknown>, name = 'http_request') => {
    const r = (await s.client.callTool({ name, arguments: args })) as CallToolResult;
    results.push(r);
    return r;
  };

  test('hostile arguments: clear tool errors, nothing leaves for an undeclared host, nothing crashes', async () => {
    const s = await session('Hostile Agent', () => ({ action: 'accept', content: {} }));
    const before = api.seen.length;
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ connection: id, path: '//evil.example/steal' }, /absolute_url/],
      [{ connection: id, path: 'http://evil.example/steal' }, /absolute_url/],
      [{ connection: id, path: 'https://127.0.0.1:1/steal' }, /absolute_url/],
      [{ connection: id, path: '/../../etc/passwd' }, /\(path_traversal\)/],
      [{ connection: id, path: '/%2e%2e/%2e%2e/x' }, /\(path_traversal\)/],
      [{ connection: id, method: 'POST', path: '/hello', body: 'x'.repeat(4096) }, /body_too_large/],
      [{ connection: 'nope', path: '/user' }, /connection_not_found/],
      [{ connection: id, method: 'GET\r\nX: y', path: '/user' }, /invalid_arguments/],
      [{ connection: id, path: '/user', url: 'http://evil.example/' }, /invalid_arguments/],
      [{ path: '/user' }, /invalid_arguments/],
      [{ connection: id, path: 42 }, /invalid_arguments/],
    ];
    for (const [args, why] of refused) {
      const r = await call(s, args);
      assert.equal(r.isError, true, `${JSON.stringify(args).slice(0, 80)} was refused`);
      assert.match(text(r), why, JSON.stringify(args).slice(0, 80));
    }
    assert.equal(api.seen.length, before, 'no refused call reached the service');

    // Header overrides: Sophon's credential wins; a Host header cannot move the call.
    const r = await call(s, { connection: id, path: '/echo', headers: { Authorization: 'Bearer attacker', Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } });
    assert.equal(r.isError, undefined, text(r));
    const seen = api.seen.at(-1)!;
    assert.equal(seen.headers.authorization, `Bearer ${canary}`);
    assert.equal(seen.headers.host, new URL(api.url).host);
    assert.equal(api.seen.length, before + 1);
    // An unknown tool is an error, not a crash; the server still answers afterwards.
    assert.equal((await call(s, {}, 'no_such_tool')).isError, true);
    assert.equal((await call(s, {}, 'list_connections')).isError, undefined);
  });

  test('the canary appears in no MCP message, result, error, stderr or file outside the vault', async () => {
    const approve = await session('Canary Approver', () => ({ action: 'accept', content: {} }));
    const decline = await session('Canary Decliner', () => ({ action: 'decline' }));
    const plain = await session('Canary Plain');
    await call(approve, {}, 'list_connections');
    await call(approve, { connection: id, path: '/echo' });
    await call(approve, { connection: id, path: '/echo-gzip' });
    await call(approve, { connection: id, path: '/user' });
    await call(approve, { service: 'canary', method: 'POST', path: '/echo', body: { a: 1 } });
    await call(decline, { connection: id, method: 'DELETE', path: '/echo' });
    await call(plain, { connection: id, method: 'PATCH', path: '/echo', body: 'x' });
    await call(plain, { connection: id, path: '/redirect', query: { to: 'http://evil.example/' } });
    await call(plain, { connection: id, path: '/big', query: { bytes: 50_000 } });
    assert.ok(api.seen.some((s) => s.headers.authorization === `Bearer ${canary}`), 'the canary did reach its service');
    const closed = sessions.splice(0);
    for (const s of closed) await s.close();

    assert.ok(messages.length > 40, 'the messages were captured');
    const stderr = closed.map((s) => s.stderr()).join('\n');
    const files = (await filesUnder(home)).filter((f) => !f.endsWith('.vault'));
    assert.ok(files.some((f) => f.endsWith('sophon.db')));
    const audit = await sophon(['audit', '--json', '--limit', '1000'], { home });
    for (const form of forms(canary)) {
      for (const m of messages) assert.ok(!m.includes(form), `canary in an MCP message: ${m.slice(0, 200)}`);
      for (const r of results) assert.ok(!JSON.stringify(r).includes(form), 'canary in a tool result');
      assert.ok(!stderr.includes(form), 'canary on stderr');
      assert.ok(!audit.stdout.includes(form), 'canary in the audit trail');
      for (const f of files) assert.ok(!(await readFile(f)).includes(form), `canary found in ${f}`);
    }
  });
});
