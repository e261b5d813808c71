import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Out } from '../../../shared/contract';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { connectMcpHttp } from '../../helpers/mcp-client';
import { call, startDashboardProcess, type Dashboard } from '../server/dashboard-process';

type Status = Out<'agents.httpServer'>;
const value = <T>(r: Awaited<ReturnType<typeof call>>): T => {
  assert.equal(r.status, 200, r.body);
  return r.json().value as T;
};

/** What the Agents page does, through the REST door of `sophon dashboard` (the desktop app runs the same operations over IPC). */
describe('REST: MCP tokens, installing into a client, and the MCP HTTP server run by the dashboard', () => {
  let home = '';
  let userHome = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let d: Dashboard;
  let bobToken = '';

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    userHome = await mkdtemp(join(tmpdir(), 'sophon-user-home-'));
    d = await startDashboardProcess(home, [], { HOME: userHome, XDG_CONFIG_HOME: '' });
    bobToken = json<{ token: string }>(await sophon(['--user', 'bob', 'api-token', 'create', '--json'], { home })).token;
  });
  afterAll(async () => {
    await d?.stop();
    await cleanup();
    await rm(userHome, { recursive: true, force: true });
  });

  test('the HTTP server is off by default; turned on it serves MCP to a token made here, and a revoked token is refused', async () => {
    assert.deepEqual(value<Status>(await call(d, d.token, 'agents.httpServer')), { enabled: false, running: false, url: null, port: null, problem: null });
    const on = value<Status>(await call(d, d.token, 'agents.setHttpServer', { enabled: true }));
    assert.equal(on.enabled, true);
    assert.equal(on.running, true);
    assert.match(on.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const settings = JSON.parse(await readFile(join(home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { Mcp: { Http: { Enabled: boolean; Port: number } } } };
    assert.deepEqual(settings.Sophon.Mcp.Http, { Enabled: true, Port: on.port }, 'the choice and the port it got are kept');

    const made = value<{ token: string; id: string; agent: string }>(await call(d, d.token, 'agents.createToken', { agent: 'my-bot' }));
    assert.match(made.token, /^sph_/);
    const listed = value<{ tokens: { id: string; agent: string }[] }>(await call(d, d.token, 'agents.tokens'));
    assert.deepEqual(listed.tokens.map((t) => [t.id, t.agent]), [[made.id, 'my-bot']]);
    assert.ok(!JSON.stringify(listed).includes(made.token), 'a listed token never shows its value');
    assert.ok(value<{ agents: { agent: string; writes: string }[] }>(await call(d, d.token, 'agents.list')).agents.some((a) => a.agent === 'my-bot' && a.writes === 'ask'));

    const s = await connectMcpHttp(on.url!, { name: 'Whatever', token: made.token });
    const tools = await s.client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'http_request'));
    await s.close();

    // Bob neither sees nor revokes it, nor runs this machine's server.
    assert.deepEqual(value<{ tokens: unknown[] }>(await call(d, bobToken, 'agents.tokens')).tokens, []);
    assert.equal((await call(d, bobToken, 'agents.revokeToken', { id: made.id })).status, 404);
    assert.equal((await call(d, bobToken, 'agents.setHttpServer', { enabled: false })).status, 403);

    assert.deepEqual(value(await call(d, d.token, 'agents.revokeToken', { id: made.id })), { id: made.id });
    await assert.rejects(connectMcpHttp(on.url!, { name: 'Whatever', token: made.token }), /401|token/i);
  });

  test('the server comes back on the same port when the dashboard restarts, and stops when turned off', async () => {
    const before = value<Status>(await call(d, d.token, 'agents.httpServer'));
    await d.stop();
    d = await startDashboardProcess(home, [], { HOME: userHome, XDG_CONFIG_HOME: '' });
    const after = value<Status>(await call(d, d.token, 'agents.httpServer'));
    assert.deepEqual([after.running, after.url], [true, before.url]);
    const off = value<Status>(await call(d, d.token, 'agents.setHttpServer', { enabled: false }));
    assert.deepEqual([off.enabled, off.running, off.url], [false, false, null]);
    await assert.rejects(fetch(before.url!, { method: 'POST' }));
  });

  test('`sophon mcp --help` and each subcommand show examples', async () => {
    for (const words of [['mcp'], ['mcp', 'install'], ['mcp', 'uninstall'], ['mcp', 'policy'], ['mcp', 'agents'], ['mcp', 'token', 'create'], ['mcp', 'token', 'list'], ['mcp', 'token', 'revoke']]) {
      const r = await sophon(['help', ...words], { home });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`\\nExamples:\\n {2}\\$ sophon ${words.join(' ')}`), words.join(' '));
    }
  });

  test('install into a client: a dry run first writes nothing, then the file is created, again changes nothing, uninstall removes it', async () => {
    const file = join(userHome, '.claude.json');
    const dry = value<Out<'agents.install'>>(await call(d, d.token, 'agents.install', { client: 'claude-code', dryRun: true }));
    assert.deepEqual([dry.file, dry.action, dry.dryRun, dry.backup], [file, 'created', true, null]);
    assert.deepEqual((dry.entry as { args: string[] }).args.slice(-1), ['mcp']);
    assert.equal((dry.entry as { env: Record<string, string> }).env.SOPHON_HOME, home);
    await assert.rejects(readFile(file));

    const done = value<Out<'agents.install'>>(await call(d, d.token, 'agents.install', { client: 'claude-code' }));
    assert.equal(done.action, 'created');
    const written = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> };
    assert.deepEqual(written.mcpServers.sophon, dry.entry);
    assert.equal(value<Out<'agents.install'>>(await call(d, d.token, 'agents.install', { client: 'claude-code' })).action, 'unchanged');
    assert.equal(value<Out<'agents.install'>>(await call(d, d.token, 'agents.install', { client: 'claude-code', uninstall: true })).action, 'removed');
    assert.ok(!('mcpServers' in (JSON.parse(await readFile(file, 'utf8')) as object)));

    // Another user's token may not change this machine's files.
    assert.equal((await call(d, bobToken, 'agents.install', { client: 'cursor', dryRun: true })).status, 403);
    assert.equal((await call(d, d.token, 'agents.install', { client: 'emacs' })).status, 400);
  });
});
