import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { AuditRow, Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

const TOKEN = 'tok-valid-0123456789abcdef';

describe('sophon connect, end to end through the built CLI', async () => {
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(TOKEN);
  beforeAll(async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localgh.json'), userApiConnector('localgh', api.port));
  });
  afterAll(async () => {
    await api.close();
    await cleanup();
  });
  const run = (args: string[], stdin?: string) => sophon(args, { home, stdin });

  test('a connector file joins the catalog', async () => {
    const r = await run(['connect', 'list', '--available', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { services } = json<{ services: { id: string; source: string }[] }>(r);
    assert.ok(services.find((s) => s.id === 'localgh')?.source.endsWith('localgh.json'));
    assert.ok(services.some((s) => s.id === 'github') && services.some((s) => s.id === 'email'));
  });

  test('add tests first: the credential arrives exactly as declared, the account labels it', async () => {
    const r = await run(['connect', 'add', 'localgh', '--secret-stdin', '--json'], `${TOKEN}\n`);
    assert.equal(r.code, 0, r.stderr);
    const { connection, test: outcome } = json<{ connection: Connection; test: { status: string } }>(r);
    assert.equal(outcome.status, 'ok');
    assert.equal(connection.account, 'octo-test');
    assert.equal(connection.label, 'Local localgh (octo-test)');
    assert.equal(connection.secretHint, '…cdef');
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(api.seen.at(-1)?.url, '/user');
  });

  test('a rejected key is not stored (exit 4); missing secret or a secret in argv is a usage error', async () => {
    const r = await run(['connect', 'add', 'localgh', '--secret-stdin', '--label', 'Wrong'], 'tok-wrong\n');
    assert.equal(r.code, 4);
    assert.match(r.stderr, /credentials rejected.*Nothing was stored/is);
    assert.equal(json<{ connections: Connection[] }>(await run(['connect', 'list', '--json'])).connections.length, 1);
    const noSecret = await run(['connect', 'add', 'localgh', '--label', 'X']);
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /--secret-stdin/);
    const argv = await run(['connect', 'add', 'localgh', '--field', 'token=abc', '--secret-stdin'], TOKEN);
    assert.equal(argv.code, 2);
    assert.match(argv.stderr, /has no field "token"/);
  });

  test('two accounts of one service: a service name is ambiguous, labels and ids are not', async () => {
    const r = await run(['connect', 'add', 'localgh', '--secret-stdin', '--label', 'Personal'], TOKEN);
    assert.equal(r.code, 0, r.stderr);
    const amb = await run(['connect', 'test', 'localgh']);
    assert.equal(amb.code, 2);
    // Each choice by label, service and id.
    assert.match(amb.stderr, /matches 2 connections: Local localgh \(octo-test\) \(localgh, localgh-[0-9a-f]+\); Personal \(localgh, localgh-[0-9a-f]+\)\./);
    const t = await run(['connect', 'test', 'personal', '--json']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(json<{ outcome: { status: string } }>(t).outcome.status, 'ok');
  });

  test('status, rename and audit; remove deletes; every step is recorded', async () => {
    const s = json<Connection>(await run(['connect', 'status', 'Personal', '--json']));
    assert.equal(s.state, 'active');
    assert.equal(s.lastTest?.status, 'ok');
    assert.ok(s.lastUsedAt);
    const renamed = await run(['connect', 'rename', s.id, 'Home', '--json']);
    assert.equal(json<Connection>(renamed).label, 'Home');
    assert.equal((await run(['connect', 'rename', 'Home', 'Local localgh (octo-test)'])).code, 2, 'labels are unique per service');
    const removed = await run(['connect', 'remove', 'Home', '--yes', '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(json<{ revocation: string }>(removed).revocation, 'not_applicable');
    assert.equal((await run(['connect', 'status', s.id])).code, 3);
    const { rows } = json<{ rows: AuditRow[] }>(await run(['audit', '--connection', s.id, '--json']));
    assert.deepEqual(rows.map((r) => r.action), ['remove', 'rename', 'test', 'add']);
    const text = await run(['audit', '--since', '1h']);
    assert.match(text.stdout, /TIME\s+USER\s+ACTION/);
  });

  test('a service that is down is "unreachable" (exit 5), and the connection stays active', async () => {
    const down = await startUserApi(TOKEN);
    await mkdir(join(home, 'connectors'), { recursive: true });
    await writeFile(join(home, 'connectors', 'flaky.json'), userApiConnector('flaky', down.port));
    assert.equal((await run(['connect', 'add', 'flaky', '--secret-stdin'], TOKEN)).code, 0);
    await down.close();
    const r = await run(['connect', 'test', 'flaky']);
    assert.equal(r.code, 5);
    assert.match(r.stdout, /unreachable/);
    assert.equal(json<Connection>(await run(['connect', 'status', 'flaky', '--json'])).state, 'active');
  });

  test('list in words and JSON agree; the user scope separates people', async () => {
    const words = await run(['connect', 'list']);
    assert.match(words.stdout, /ID\s+SERVICE\s+LABEL\s+STATE/);
    const other = await sophon(['--user', 'bob', 'connect', 'list', '--json'], { home });
    assert.deepEqual(json<{ connections: Connection[] }>(other).connections, []);
    assert.equal((await sophon(['--user', 'Bad User', 'connect', 'list'], { home })).code, 2);
  });
});
