// A key stored while its service cannot be reached is `untested` (not a green "active"), and the first
// test that passes makes it active; sophon.db from before the state existed migrates with its rows.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { openDatabase, schemaVersion } from '../../../electron/core/db/database';
import { MIGRATIONS } from '../../../electron/core/db/migrations';
import { createCore } from '../../../electron/core/sophon-core';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

const KEY = 'untested-key-0123456789abcdef';

/** A small real API on a fixed port that can be taken down and brought back: GET /user answers 200 for KEY, else 401. */
function api(): { up: () => Promise<number>; down: () => Promise<void> } {
  let server: Server | null = null;
  let port = 0;
  return {
    up: async () => {
      server = createServer((req, res) => {
        const ok = req.headers.authorization === `Bearer ${KEY}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { login: 'octo' } : { message: 'Bad credentials' }));
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      return port;
    },
    down: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

describe('the untested state', () => {
  const service = api();
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let core: Awaited<ReturnType<typeof createCore>>;

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    const port = await service.up();
    await service.down();
    core = await createCore({ home, catalog: catalogOf(bearerService('api', `http://127.0.0.1:${port}`)) });
  });
  afterAll(async () => {
    core?.close();
    await service.down();
    await cleanup();
  });

  test('a key added while the service is down is stored as untested, with why; a passing test makes it active', async () => {
    const { connection, test: outcome } = await core.connections.add('default', { serviceId: 'api', label: 'Work', secret: KEY });
    assert.equal(outcome?.status, 'unreachable');
    assert.equal(connection.state, 'untested');
    assert.ok(connection.stateReason, 'the reason is kept');
    assert.equal(connection.lastTest?.status, 'unreachable');

    // Still down: it stays untested (not an error: nothing says the key is wrong).
    assert.equal((await core.connections.test('default', connection.id)).connection.state, 'untested');

    await service.up();
    const { connection: after, outcome: ok } = await core.connections.test('default', connection.id);
    assert.equal(ok.status, 'ok');
    assert.equal(after.state, 'active');
    assert.equal(after.stateReason, null);
    assert.equal(after.id, connection.id);
    assert.equal(after.label, 'Work');
  });

  test('an untested key the service then refuses becomes an error', async () => {
    await service.down();
    const { connection } = await core.connections.add('default', { serviceId: 'api', label: 'Wrong', secret: 'not-the-key-0123456789' });
    assert.equal(connection.state, 'untested');
    await service.up();
    const { connection: after } = await core.connections.test('default', connection.id);
    assert.equal(after.state, 'error');
  });

  test('a replaced key whose test cannot reach the service is untested; replaced again while up, active', async () => {
    const { connection } = await core.connections.add('default', { serviceId: 'api', label: 'Rotated', secret: KEY });
    assert.equal(connection.state, 'active');
    await service.down();
    const replaced = await core.connections.update('default', connection.id, { secret: KEY });
    assert.equal(replaced.connection.state, 'untested');
    await service.up();
    const again = await core.connections.update('default', connection.id, { secret: KEY });
    assert.equal(again.connection.state, 'active');
    assert.equal(again.connection.id, connection.id);
  });

  test('a refused key is not stored, and the message names no command-line flag (every door shows it)', async () => {
    await assert.rejects(core.connections.add('default', { serviceId: 'api', label: 'Refused', secret: 'refused-key-0123456789' }), (err: Error) => {
      assert.match(err.message, /Nothing was stored\.$/);
      assert.doesNotMatch(err.message, /--no-test/);
      return true;
    });
  });
});

describe('migration 7 (untested)', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('a database from before keeps its rows, indexes and columns; untested is accepted, a bogus state still refused', async () => {
    const file = join(home, 'v6.db');
    const v6 = await openDatabase(file, MIGRATIONS.slice(0, 6));
    v6.prepare(
      "INSERT INTO connections (id, user_id, service_id, label, auth_method, state, state_reason, created_at, updated_at, vault_generation) VALUES ('api-1', 'u', 'api', 'Work', 'bearer', 'needs_reauth', 'why', 1, 2, 7)",
    ).run();
    v6.close();

    const db = await openDatabase(file);
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    assert.deepEqual(db.prepare("SELECT id, label, state, state_reason, vault_generation FROM connections").all(), [{ id: 'api-1', label: 'Work', state: 'needs_reauth', state_reason: 'why', vault_generation: 7 }]);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'connections' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(indexes, ['connections_label', 'connections_user']);
    db.prepare("UPDATE connections SET state = 'untested' WHERE id = 'api-1'").run();
    assert.throws(() => db.prepare("UPDATE connections SET state = 'bogus' WHERE id = 'api-1'").run(), /CHECK constraint failed/);
    // The label stays unique per user and service, case-insensitively.
    assert.throws(
      () => db.prepare("INSERT INTO connections (id, user_id, service_id, label, auth_method, state, created_at, updated_at) VALUES ('api-2', 'u', 'api', 'WORK', 'bearer', 'active', 1, 1)").run(),
      /UNIQUE constraint failed/,
    );
    db.close();
  });
});
