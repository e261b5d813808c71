import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { In } from '../../../shared/contract';
import { OPERATION_NAMES, type OperationName } from '../../../shared/operations';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { cliStores, type CliStores } from '../../helpers/cli-stores';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { call, openEvents, raw, startDashboardProcess, type Dashboard } from './dashboard-process';

const CANARY = 'canary-SECRET-4f1d2a9b8c7e6d5f0a1b2c3d';
const CLIENT_SECRET_CANARY = 'client-secret-CANARY-93b1e0c2d4f6';
const IMPORT_CANARY = 'sk-importcanary0123456789abcdefABCDEF0123456789';

describe('REST API: refusals, users, and no secret in any response', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let stores: CliStores;
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let d: Dashboard;
  let bobToken: string;

  beforeAll(async () => {
    home = await tempHome();
    api = await startUserApi(CANARY, 'canary-user');
    await mkdir(join(home.home, 'connectors'), { recursive: true });
    await writeFile(join(home.home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    // The importer looks in the home folder and the environment: throwaway ones, with one key to find.
    stores = await cliStores();
    d = await startDashboardProcess(home.home, [], { ...stores.env, OPENAI_API_KEY: IMPORT_CANARY });
    const created = await sophon(['api-token', 'create', '--user', 'bob', '--json'], { home: home.home });
    assert.equal(created.code, 0, created.stderr);
    bobToken = json<{ token: string }>(created).token;
  });

  afterAll(async () => {
    await d?.stop();
    await api?.close();
    await stores?.cleanup();
    await home?.cleanup();
  });

  test('no token: 401 naming how to get one', async () => {
    const r = await call(d, null, 'connections.list');
    assert.equal(r.status, 401);
    assert.equal(r.json().error?.code, 'unauthorized');
    assert.match(r.json().error!.message, /Authorization: Bearer/);
  });

  test('wrong token, and a well-formed but unknown one: 401', async () => {
    for (const t of ['nonsense', `sph_${'A'.repeat(43)}`, d.token.slice(0, -1) + (d.token.endsWith('A') ? 'B' : 'A')]) {
      const r = await call(d, t, 'connections.list');
      assert.equal(r.status, 401, t);
      assert.match(r.json().error!.message, /not valid/);
    }
  });

  test('a Host other than this server (DNS rebinding): 403, even with the right token', async () => {
    for (const host of ['evil.example', `evil.example:${d.port}`, `127.0.0.1:${d.port + 1}`, `localhost.evil.example:${d.port}`]) {
      const r = await call(d, d.token, 'connections.list', {}, { Host: host });
      assert.equal(r.status, 403, host);
      assert.equal(r.json().error?.code, 'forbidden');
      assert.match(r.json().error!.message, /DNS-rebinding/);
    }
    const page = await raw(d.port, 'GET', '/', { Host: 'rebind.example' });
    assert.equal(page.status, 403);
    assert.equal((await call(d, d.token, 'session.info', {}, { Host: `localhost:${d.port}` })).status, 200);
  });

  test('a foreign Origin: 403; this server\'s own origin: 200', async () => {
    for (const origin of ['https://evil.example', `http://127.0.0.1:${d.port + 1}`, 'null']) {
      const r = await call(d, d.token, 'connections.list', {}, { Origin: origin });
      assert.equal(r.status, 403, origin);
      assert.match(r.json().error!.message, /may not call this server/);
    }
    const cross = await call(d, d.token, 'connections.list', {}, { 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(cross.status, 403);
    assert.equal((await call(d, d.token, 'connections.list', {}, { Origin: `http://127.0.0.1:${d.port}` })).status, 200);
  });

  test('oversize body: 413 with the limit; malformed JSON: 400 naming the problem; wrong content type: 415', async () => {
    const big = await raw(d.port, 'POST', '/api/connections.add', { 'Content-Type': 'application/json', Authorization: `Bearer ${d.token}` }, JSON.stringify({ serviceId: 'localapi', secret: 'x'.repeat(200_000) }));
    assert.equal(big.status, 413);
    assert.equal(big.json().error?.code, 'too_large');
    assert.match(big.json().error!.message, /at most 65536/);

    const bad = await raw(d.port, 'POST', '/api/connections.list', { 'Content-Type': 'application/json', Authorization: `Bearer ${d.token}` }, `{"connection": "${CANARY}"`);
    assert.equal(bad.status, 400);
    assert.match(bad.json().error!.message, /not valid JSON/);
    assert.ok(!bad.body.includes(CANARY), 'the malformed body is not quoted back');

    const form = await raw(d.port, 'POST', '/api/connections.list', { 'Content-Type': 'text/plain', Authorization: `Bearer ${d.token}` }, '{}');
    assert.equal(form.status, 415);
  });

  test('invalid input: 400 naming the field; unknown operation: 404; wrong method: 405', async () => {
    const r = await call(d, d.token, 'connections.rename', { connection: 'x', label: '' });
    assert.equal(r.status, 400);
    assert.equal(r.json().error?.code, 'invalid_input');
    assert.match(r.json().error!.message, /label/);
    const extra = await call(d, d.token, 'connections.list', { secret: CANARY });
    assert.equal(extra.status, 400);
    assert.ok(!extra.body.includes(CANARY));
    const unknown = await call(d, d.token, 'connections.export');
    assert.equal(unknown.status, 404);
    assert.match(unknown.json().error!.message, /No operation "connections.export"/);
    const malformed = await raw(d.port, 'POST', '/api/%E0%A4%A', { 'Content-Type': 'application/json', Authorization: `Bearer ${d.token}` }, '{}');
    assert.equal(malformed.status, 404);
    const get = await raw(d.port, 'GET', '/api/connections.list', { Authorization: `Bearer ${d.token}` });
    assert.equal(get.status, 405);
  });

  test('security headers on the API and the page', async () => {
    for (const r of [await call(d, d.token, 'session.info'), await raw(d.port, 'GET', '/', {})]) {
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.equal(r.headers['origin-agent-cluster'], '?1');
    }
    // The page is never stored; the content-hashed scripts it names may be, forever.
    const page = await raw(d.port, 'GET', '/', {});
    assert.equal(page.headers['cache-control'], 'no-store');
    // The boot script (src) and the app's chunks (modulepreload href).
    const scripts = [...page.body.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    assert.ok(scripts.length >= 2, page.body);
    for (const src of scripts) {
      const asset = await raw(d.port, 'GET', `/${src}`, {});
      assert.equal(asset.status, 200, src);
      assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable', src);
    }
    // The tab's icon is the page's own (no request for a missing /favicon.ico).
    const icon = /<link rel="icon" type="image\/svg\+xml" href="\.\/(assets\/favicon-[\w-]+\.svg)"/.exec(page.body)?.[1];
    assert.ok(icon, page.body);
    const iconRes = await raw(d.port, 'GET', `/${icon}`, {});
    assert.equal(iconRes.status, 200);
    assert.equal(iconRes.headers['content-type'], 'image/svg+xml');
    const traversal = await raw(d.port, 'GET', '/../../config/api-tokens.json', {});
    assert.notEqual(traversal.status, 200);
    const encoded = await raw(d.port, 'GET', '/%2e%2e/%2e%2e/config/api-tokens.json', {});
    assert.notEqual(encoded.status, 200);
  });

  test('users: each sees only their own connections; an admin sees that others exist, never their credentials', async () => {
    const bobInfo = (await call(d, bobToken, 'session.info')).json().value;
    assert.deepEqual(bobInfo, { userId: 'bob', isAdmin: false });
    const added = await call(d, bobToken, 'connections.add', { serviceId: 'localapi', label: 'Bob key', secret: 'bob-secret-0123456789abcdef', test: false });
    assert.equal(added.status, 200, added.body);
    const bobConnection = (added.json().value as { connection: { id: string } }).connection.id;

    // The admin (default) cannot reach bob's connection through the user operations.
    for (const op of ['connections.get', 'connections.test', 'connections.remove'] as const) {
      const r = await call(d, d.token, op, { connection: bobConnection });
      assert.equal(r.status, 404, op);
    }
    assert.equal((await call(d, d.token, 'connections.rename', { connection: bobConnection, label: 'mine now' })).status, 404);
    const adminList = (await call(d, d.token, 'connections.list')).json().value as { connections: { id: string }[] };
    assert.ok(!adminList.connections.some((c) => c.id === bobConnection));
    // …but lists it as metadata, without even the secret hint.
    const all = (await call(d, d.token, 'admin.connections')).json().value as { connections: { id: string; userId: string; secretHint: string | null }[] };
    const seen = all.connections.find((c) => c.id === bobConnection);
    assert.equal(seen?.userId, 'bob');
    assert.equal(seen?.secretHint, null);

    // Bob is no admin: no other users, no vault, no settings changes, no one else's audit trail.
    for (const [op, input] of [['admin.connections', {}], ['vault.verify', {}], ['audit.verify', {}], ['vault.status', {}], ['settings.set', { oauthClients: { gmail: { clientId: 'x' } } }], ['oauth.setup', { serviceId: 'gmail', clientId: 'x' }], ['services.discover', { url: 'https://login.example.com', kind: 'issuer' }], ['audit.query', { userId: 'default' }], ['vault.backup', { folder: '/tmp', passphrase: null }], ['vault.restore', { file: '/tmp/x.backup', passphrase: 'p', mode: 'merge', apply: false }], ['vault.rotateKey', {}], ['vault.backupSchedule', {}], ['vault.setBackupSchedule', { schedule: null }], ['vault.runBackupSchedule', {}]] as const) {
      const r = await call(d, bobToken, op, input);
      assert.equal(r.status, 403, op);
      assert.equal(r.json().error?.code, 'forbidden');
    }
    const bobAudit = (await call(d, bobToken, 'audit.query', {})).json().value as { rows: { userId: string }[]; total: number };
    assert.ok(bobAudit.total >= 1);
    assert.ok(bobAudit.rows.every((row) => row.userId === 'bob'));
    assert.equal((await call(d, bobToken, 'connections.remove', { connection: bobConnection })).status, 200);
  });

  test('a revoked token stops working at once', async () => {
    const created = json<{ token: string; id: string }>(await sophon(['api-token', 'create', '--user', 'carol', '--json'], { home: home.home }));
    assert.equal((await call(d, created.token, 'session.info')).status, 200);
    const revoked = await sophon(['api-token', 'revoke', created.id], { home: home.home });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await call(d, created.token, 'session.info')).status, 401);
  });

  test('a canary secret added through the API appears in no response body and no event', async () => {
    const events = openEvents(d, d.token);
    const bobEvents = openEvents(d, bobToken);
    await events.waitFor(': connected');
    await bobEvents.waitFor(': connected');
    await new Promise((r) => setTimeout(r, 200));
    const bodies: string[] = [];
    const send = async (op: string, input: unknown) => {
      const r = await call(d, d.token, op, input);
      bodies.push(r.body);
      return r;
    };
    const added = await send('connections.add', { serviceId: 'localapi', label: 'Canary', secret: CANARY });
    assert.equal(added.status, 200, added.body);
    const connection = (added.json().value as { connection: { id: string; secretHint: string } }).connection;
    assert.equal(connection.secretHint, `…${CANARY.slice(-4)}`);
    await events.waitFor(connection.id);

    const scan = (await send('imports.scan', {})).json().value as { logins: { key: string; serviceId: string; importedAs: string | null }[] };
    const found = scan.logins.find((l) => l.serviceId === 'openai');
    assert.ok(found, `the importer found the OPENAI_API_KEY login: ${JSON.stringify(scan)}`);
    const imported = (await send('imports.run', { keys: [found.key], copy: true })).json().value as { imported: { key: string; connectionId: string }[] };
    assert.equal(imported.imported[0]?.key, found.key);

    // Every operation, with an input for each (a new operation fails to compile here until it has one).
    const inputs: { [K in OperationName]: In<K> } = {
      'session.info': {},
      'services.list': {},
      // Nothing listens there: the discovery fails (the canary is that nothing secret comes back either way).
      'services.discover': { url: 'http://127.0.0.1:9/issuer', kind: 'issuer' },
      'oauth.setup': { serviceId: 'gmail', clientId: 'client-id.example', clientSecret: CLIENT_SECRET_CANARY },
      'connections.list': {},
      'connections.get': { connection: connection.id },
      'connections.add': { serviceId: 'localapi', label: 'Second', secret: `${CANARY}-2`, test: false },
      'connections.test': { connection: connection.id },
      'connections.reauth': { connection: connection.id },
      'connections.rename': { connection: connection.id, label: 'Canary renamed' },
      // The same canary again, untested: the later tests still use it.
      'connections.update': { connection: connection.id, secret: CANARY, test: false },
      'connections.refresh': { connection: connection.id },
      'imports.scan': {},
      'imports.run': { keys: [found.key] },
      'audit.query': { limit: 1000 },
      'vault.status': {},
      'vault.verify': {},
      'audit.verify': {},
      'settings.get': {},
      'settings.set': { oauthClients: { gmail: { clientId: 'client-id.example', clientSecret: CLIENT_SECRET_CANARY } } },
      'admin.connections': {},
      'broker.mint': { skill: 'canary-skill', tool: 'probe', connection: connection.id },
      'broker.choose': { request: 'choice-none', connection: null },
      'broker.questions': {},
      'agents.list': {},
      'agents.setPolicy': { agent: 'canary-agent', connections: [connection.id], writes: 'deny' },
      'agents.approvals': {},
      'agents.approve': { request: 'approval-none', approve: false },
      'agents.tokens': {},
      'agents.createToken': { agent: 'canary-agent' },
      'agents.revokeToken': { id: 'tok_none' },
      // A dry run only: the test's HOME is the runner's.
      'agents.install': { client: 'cursor', dryRun: true },
      'agents.httpServer': {},
      'agents.setHttpServer': { enabled: false },
      // Backups go to a folder outside the home, so the check below of the home's files stays as it was.
      'vault.backup': { folder: join(`${home.home}-backups`), passphrase: null },
      'vault.restore': { file: join(`${home.home}-backups`, 'none.backup'), passphrase: 'not-the-passphrase', mode: 'merge', apply: false },
      'vault.rotateKey': {},
      'vault.backupSchedule': {},
      'vault.setBackupSchedule': { schedule: null },
      'vault.runBackupSchedule': {},
      'connections.remove': { connection: connection.id },
    };
    const order = [...OPERATION_NAMES].filter((n) => n !== 'connections.remove');
    for (const op of [...order, ...order, 'connections.remove' as const]) await send(op, inputs[op]);
    const tested = bodies.find((b) => b.includes('"outcome"'));
    assert.match(tested ?? '', /"status":"ok"/, 'the canary was really used: the test call succeeded against the local API');
    assert.equal(api.seen.filter((s) => s.headers.authorization === `Bearer ${CANARY}`).length >= 2, true);
    await events.waitFor('"connections":[', 5000);
    const settings = (await send('settings.get', {})).json().value as { settings: { oauthClients: Record<string, { clientSecretSet: boolean }> } };
    assert.equal(settings.settings.oauthClients.gmail?.clientSecretSet, true);
    // The client secret is in the vault only: no file of SOPHON_HOME holds it in any common encoding.
    for (const file of await filesUnder(home.home)) {
      const text = (await readFile(file)).toString('latin1');
      assert.ok(!forms(CLIENT_SECRET_CANARY).some((f) => text.includes(f)), `the OAuth client secret is in ${file}`);
    }
    events.close();
    bobEvents.close();
    assert.ok(!bobEvents.text().includes(connection.id), "another user's stream never hears of this user's connections");
    assert.ok(!bobEvents.text().includes('oauth.progress'));

    const everything = [...bodies, events.text(), bobEvents.text()].join('\n');
    for (const secret of [CANARY, CANARY.slice(0, 16), CLIENT_SECRET_CANARY, IMPORT_CANARY, IMPORT_CANARY.slice(0, 20)]) assert.ok(!everything.includes(secret), `found ${secret.slice(0, 8)}… in a response or event`);
    assert.ok(!d.output().includes(CANARY), 'nor in the server output');
    assert.ok(bodies.length >= OPERATION_NAMES.length * 2);
  });
});
