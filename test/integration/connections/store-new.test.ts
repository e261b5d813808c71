import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { ConnectionService } from '../../../electron/core/connections/connection-service';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

const catalog = catalogOf(bearerService('api', 'http://127.0.0.1:9'));

async function withCore(fn: (core: CoreWithInternals, home: string) => Promise<void>): Promise<void> {
  const { home, cleanup } = await tempHome();
  const core = await openCoreInternals({ home, catalog });
  try {
    await fn(core, home);
  } finally {
    core.close();
    await cleanup();
  }
}

const row = (id: string) => ({ id, userId: 'alice', serviceId: 'api', label: id, authMethod: 'bearer' as const, scopes: [], fields: {}, secretHint: null, expiresAt: null });
const audit = (id: string) => ({ userId: 'alice', action: 'import' as const, outcome: 'ok' as const, connectionId: id, detail: 'stored' });

// The one add sequence that both `connect add` and the importer go through (the importer had its own copy).
describe('ConnectionService.storeNew: pending row, secret, finished state, audit', () => {
  test('a failed vault write leaves no row, no file and no audit row, and the error is the write\'s', () =>
    withCore(async (core, home) => {
      const refused = new Error('disk full');
      // The real store and audit; only the vault write fails (a full disk cannot be made for real here, as root).
      const service = new ConnectionService({
        store: core.store,
        audit: core.audit,
        vault: Object.assign(Object.create(core.vault) as typeof core.vault, { put: () => Promise.reject(refused) }),
        credentials: core.credentials,
        catalog,
        tester: () => Promise.reject(new Error('not used')),
      });
      let finished = false;
      await assert.rejects(
        service.storeNew({ row: row('api-0000000001'), credential: { apiKey: 'secret-value-0123456789' }, finish: () => (finished = true), audit: audit('api-0000000001') }),
        (err) => err === refused,
      );
      assert.equal(finished, false);
      assert.equal(core.store.get('api-0000000001'), null);
      assert.deepEqual(await readdir(join(home, 'vault')).catch(() => []), []);
      assert.deepEqual(core.audit.query({ connectionId: 'api-0000000001' }), []);
    }));

  test('a refused claim stores nothing; a linked login (no credential) gets a row but no vault file', () =>
    withCore(async (core, home) => {
      const refusedClaim = await core.connections.storeNew({ claim: () => false, row: row('api-0000000002'), credential: { apiKey: 'secret-value-0123456789' }, finish: () => assert.fail('not finished'), audit: audit('api-0000000002') });
      assert.equal(refusedClaim, false);
      assert.equal(core.store.get('api-0000000002'), null);

      const linked = await core.connections.storeNew({
        row: () => row('api-0000000003'),
        credential: null,
        finish: (now) => core.store.setState('api-0000000003', 'active', null, now),
        audit: audit('api-0000000003'),
      });
      assert.equal(linked, true);
      assert.equal(core.store.get('api-0000000003')?.state, 'active');
      assert.deepEqual(await readdir(join(home, 'vault')).catch(() => []), []);
      assert.deepEqual(core.audit.query({ connectionId: 'api-0000000003' }).map((r) => [r.action, r.outcome]), [['import', 'ok']]);
    }));

  test('a stored copy: active, its secret in the vault, one audit row', () =>
    withCore(async (core) => {
      assert.equal(
        await core.connections.storeNew({
          row: row('api-0000000004'),
          credential: { apiKey: 'secret-value-0123456789' },
          finish: (now) => core.store.setState('api-0000000004', 'active', null, now),
          audit: audit('api-0000000004'),
        }),
        true,
      );
      assert.equal((await core.credentials.read({ userId: 'alice', connectionId: 'api-0000000004' }))?.apiKey, 'secret-value-0123456789');
      assert.equal((await core.connections.status('alice', 'api-0000000004')).state, 'active');
      assert.equal(core.audit.query({ connectionId: 'api-0000000004' }).length, 1);
    }));
});
