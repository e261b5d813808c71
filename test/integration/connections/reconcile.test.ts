import assert from 'node:assert/strict';
import { afterAll, describe, test } from 'vitest';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

const catalog = catalogOf(bearerService('api', 'http://127.0.0.1:9'));
const open = (home: string) => openCoreInternals({ home, catalog });

async function addUntested(core: CoreWithInternals, label: string) {
  return (await core.connections.add('alice', { serviceId: 'api', label, secret: `secret-${label}-0123456789`, test: false })).connection;
}

describe('reconciling sophon.db with the vault after a crash', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('a connection whose credential vanished is shown as broken, never as usable', async () => {
    let core = await open(home);
    const c = await addUntested(core, 'Lost');
    await core.vault.delete('alice', c.id);
    core.close();

    core = await open(home);
    const after = await core.connections.status('alice', c.id);
    assert.equal(after.state, 'error');
    assert.match(after.stateReason ?? '', /missing from the vault/);
    assert.ok(core.audit.query({ connectionId: c.id }).some((r) => r.action === 'reconcile' && r.outcome === 'failed'));
    core.close();
  });

  // Until issue #12 this test asserted the opposite (such files were deleted as orphans): a lost
  // sophon.db then emptied the whole vault.
  test('a credential with no connection is kept and reported as unlisted, at every open', async () => {
    let core = await open(home);
    await core.vault.put('alice', 'api-orphan1', { apiKey: 'orphaned-secret-value' });
    core.close();

    core = await open(home);
    assert.equal((await core.credentials.read({ userId: 'alice', connectionId: 'api-orphan1' }))?.apiKey, 'orphaned-secret-value');
    assert.deepEqual(core.startup.unlisted, [{ userId: 'alice', connectionId: 'api-orphan1' }]);
    assert.deepEqual(core.audit.query({ connectionId: 'api-orphan1' }), []);
    core.close();
    core = await open(home);
    assert.notEqual(await core.credentials.read({ userId: 'alice', connectionId: 'api-orphan1' }), null);
    await core.vault.delete('alice', 'api-orphan1');
    core.close();
  });

  test('an add that crashed long ago is cleared; one in progress in another process is left alone', async () => {
    let core = await open(home);
    const base = { userId: 'alice', serviceId: 'api', authMethod: 'bearer', scopes: [], fields: {}, secretHint: null, expiresAt: null };
    // What a crashed add leaves behind: the row pending, the secret written.
    const store = core.store;
    store.insertPending({ ...base, id: 'api-stale1', label: 'Stale' }, Date.now() - 60 * 60_000);
    await core.vault.put('alice', 'api-stale1', { accessToken: 'half-added-secret' });
    store.insertPending({ ...base, id: 'api-fresh1', label: 'Fresh' }, Date.now());
    await core.vault.put('alice', 'api-fresh1', { accessToken: 'being-added-secret' });
    core.close();

    core = await open(home);
    assert.equal(await core.credentials.read({ userId: 'alice', connectionId: 'api-stale1' }), null);
    assert.notEqual(await core.credentials.read({ userId: 'alice', connectionId: 'api-fresh1' }), null);
    const ids = (await core.connections.list('alice')).map((c) => c.id);
    assert.ok(!ids.includes('api-stale1') && !ids.includes('api-fresh1'), 'pending adds are never listed');
    core.close();
  });
});
