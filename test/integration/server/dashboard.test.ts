import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { ApiTokenStore } from '../../../electron/core/api-tokens/token-store';
import { createCore } from '../../../electron/core/sophon-core';
import { startDashboard } from '../../../electron/server/dashboard';
import { sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { call, openEvents, raw, startDashboardProcess, type Dashboard } from './dashboard-process';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

describe('sophon dashboard', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let d: Dashboard;

  beforeAll(async () => {
    home = await tempHome();
    api = await startUserApi('valid-token-0123456789abcdef');
    await mkdir(join(home.home, 'connectors'), { recursive: true });
    await writeFile(join(home.home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    d = await startDashboardProcess(home.home);
  });

  afterAll(async () => {
    await d?.stop();
    await api?.close();
    await home?.cleanup();
  });

  test('prints the loopback address with the per-install token, kept 0600 in config/ and registered only as a hash', async () => {
    assert.match(d.base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(d.token, /^sph_[A-Za-z0-9_-]{43}$/);
    const tokenFile = join(home.home, 'config', 'dashboard-default.token');
    assert.equal((await readFile(tokenFile, 'utf8')).trim(), d.token);
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const registry = join(home.home, 'config', 'api-tokens.json');
    assert.equal((await stat(registry)).mode & 0o777, 0o600);
    const text = await readFile(registry, 'utf8');
    assert.ok(!text.includes(d.token), 'the registry holds hashes, not tokens');
    assert.deepEqual((await call(d, d.token, 'session.info')).json().value, { userId: 'default', isAdmin: true });
    // The token is printed once, to stdout; the human line on stderr does not repeat it.
    assert.equal(d.output().split(d.token).length - 1, 1);
  });

  test('a second start reuses the same token (bookmarks keep working)', async () => {
    const again = await startDashboardProcess(home.home);
    try {
      assert.equal(again.token, d.token);
      assert.notEqual(again.port, d.port);
    } finally {
      await again.stop();
    }
  });

  test('connections.changed reaches the stream when another process adds a connection and when one flips to needs_reauth', async () => {
    const events = openEvents(d, d.token);
    await events.waitFor(': connected');
    await new Promise((r) => setTimeout(r, 1200));
    const added = await sophon(['connect', 'add', 'localapi', '--label', 'From CLI', '--secret-stdin', '--no-test', '--json'], { home: home.home, stdin: 'cli-secret-0123456789abcdef\n' });
    assert.equal(added.code, 0, added.stderr);
    const id = (JSON.parse(added.stdout) as { connection: { id: string } }).connection.id;
    await events.waitFor(`"id":"${id}"`, 5000);

    const db = new Sqlite(join(home.home, 'sophon.db'));
    try {
      db.prepare("UPDATE connections SET state = 'needs_reauth', state_reason = 'revoked at the service', updated_at = ? WHERE id = ?").run(Date.now(), id);
    } finally {
      db.close();
    }
    await events.waitFor('"state":"needs_reauth"', 5000);
    assert.match(events.text(), /^event: connections\.changed$/m);
    events.close();
    assert.ok(!events.text().includes('cli-secret-0123456789abcdef'));
  });

  test('a port in use is a usage error naming it', async () => {
    const r = await sophon(['dashboard', '--port', String(d.port), '--no-browser'], { home: home.home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`Port ${d.port} on 127\\.0\\.0\\.1 is in use`));
    assert.equal(r.stdout, '', 'no address (and no token) is printed when nothing listens');
  });

  test('the events stream needs the token too', async () => {
    const r = await raw(d.port, 'GET', '/api/events', {});
    assert.equal(r.status, 401);
  });

  test('a one-time code (what --open gives the browser instead of the token) is traded once for the token', async () => {
    const other = await tempHome();
    const core = await createCore({ home: other.home, env: {} });
    const tokens = new ApiTokenStore(core.paths.configDir);
    const server = await startDashboard({ core, ownerUserId: 'default', tokens, rendererDir: join(other.home, 'no-renderer') });
    try {
      const token = await tokens.dashboardToken('default');
      const code = server.codes.issue(token);
      const exchange = (c: string, headers: Record<string, string> = {}) =>
        raw(server.port, 'POST', '/auth/exchange', { 'Content-Type': 'application/json', ...headers }, JSON.stringify({ code: c }));
      assert.equal((await exchange(code, { Origin: 'https://evil.example' })).status, 403);
      const ok = await exchange(code);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json().value, { token });
      const reused = await exchange(code);
      assert.equal(reused.status, 401);
      assert.match(reused.json().error!.message, /one-time code is unknown, used or expired/);
      // Without a built renderer the page says how to build it; the API still works.
      const page = await raw(server.port, 'GET', '/', {});
      assert.equal(page.status, 404);
      assert.match(page.body, /npm run build/);
      assert.equal((await call(server, token, 'session.info')).status, 200);
    } finally {
      await server.close();
      core.close();
      await other.cleanup();
    }
  });

  test('a non-loopback --host is accepted only with a printed warning', async () => {
    const wide = await startDashboardProcess(home.home, ['--host', '0.0.0.0']);
    try {
      assert.match(wide.output(), /WARNING: listening on 0\.0\.0\.0, not loopback/);
      assert.equal((await call(wide, wide.token, 'session.info')).status, 200);
    } finally {
      await wide.stop();
    }
    const quiet = d.output();
    assert.ok(!/WARNING/.test(quiet));
  });
});
