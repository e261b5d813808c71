import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { ConnectionService, type RemoveStep } from '../../../electron/core/connections/connection-service';
import { isSophonError } from '../../../electron/core/errors';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { encryptVaultFile } from '../../../electron/core/vault/format';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

const catalog = catalogOf(bearerService('api', 'http://127.0.0.1:9'));
const open = (home: string, recoverOnStart = false) => openCoreInternals({ home, catalog, recoverOnStart });
const vaultFile = (home: string, userId: string, id: string) => join(home, 'vault', `${userId}_${id}.vault`);

async function addUntested(core: CoreWithInternals, label: string, userId = 'alice') {
  return (await core.connections.add(userId, { serviceId: 'api', label, secret: `secret-${label}-0123456789`, test: false })).connection;
}

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const { home, cleanup } = await tempHome();
  try {
    await fn(home);
  } finally {
    await cleanup();
  }
}

const rejectsWith = (code: string) => (err: unknown) => isSophonError(err) && err.code === code;

describe('a lost sophon.db is rebuilt from the vault, never the other way round', () => {
  for (const how of ['deleted', 'emptied'] as const) {
    test(`the app's start recovers every connection when sophon.db was ${how}`, () =>
      withHome(async (home) => {
        let core = await open(home);
        const a = await addUntested(core, 'Work');
        const b = await addUntested(core, 'Home');
        const before = await core.connections.list('alice');
        core.close();

        if (how === 'deleted') for (const f of (await readdir(home)).filter((n) => n.startsWith('sophon.db'))) await rm(join(home, f));
        else {
          for (const f of ['sophon.db-wal', 'sophon.db-shm']) await rm(join(home, f), { force: true });
          await writeFile(join(home, 'sophon.db'), '');
        }

        // The CLI's open (no recovery) keeps the files and reports them.
        core = await open(home);
        assert.deepEqual(await core.connections.list('alice'), []);
        assert.deepEqual(core.startup.unlisted.map((u) => u.connectionId).sort(), [a.id, b.id].sort());
        assert.equal(core.recovered, null);
        core.close();
        assert.deepEqual((await readdir(join(home, 'vault'))).sort(), [`alice_${a.id}.vault`, `alice_${b.id}.vault`].sort());

        core = await open(home, true);
        assert.deepEqual(core.recovered?.recovered.map((c) => c.id).sort(), [a.id, b.id].sort());
        const recovered = await core.connections.list('alice');
        const shape = (cs: typeof before) => cs.map((c) => [c.id, c.label, c.serviceId, c.authMethod, c.createdAt, c.secretHint, c.state]);
        assert.deepEqual(shape(recovered), shape(before));
        assert.equal(await core.connections.accessToken('alice', a.id, { waitMs: 0 }), 'secret-Work-0123456789');
        const summary = core.audit.query({ userId: 'alice' }).find((r) => /recovered 2 connection/.test(r.detail ?? ''));
        assert.match(summary?.detail ?? '', /audit history from before this is lost/);

        // Idempotent, and never replaces a row: a rename made since survives another recovery.
        await core.connections.rename('alice', a.id, 'Renamed');
        const again = await core.connections.recover();
        assert.deepEqual([again.recovered.length, again.alreadyListed], [0, 2]);
        assert.equal((await core.connections.status('alice', a.id)).label, 'Renamed');
        core.close();

        // With connections in sophon.db, the app's start does not recover on its own.
        core = await open(home, true);
        assert.equal(core.recovered, null);
        core.close();
      }));
  }

  test('a recovered label that is taken meanwhile gets a suffix instead of replacing anything', () =>
    withHome(async (home) => {
      let core = await open(home);
      const a = await addUntested(core, 'Work');
      core.db.prepare('DELETE FROM connections').run();
      await addUntested(core, 'Work');
      const r = await core.connections.recover();
      assert.deepEqual(r.recovered.map((c) => [c.id, c.label]), [[a.id, 'Work (recovered)']]);
      core.close();
      core = await open(home);
      assert.equal((await core.connections.list('alice')).length, 2);
      core.close();
    }));

  test('the clean-up of unconfirmed adds removes only files whose row says pending', () =>
    withHome(async (home) => {
      let core = await open(home);
      const kept = await addUntested(core, 'Kept');
      const base = { userId: 'alice', serviceId: 'api', authMethod: 'bearer', scopes: [], fields: {}, secretHint: null, expiresAt: null };
      core.store.insertPending({ ...base, id: 'api-stale2', label: 'Stale' }, Date.now() - 60 * 60_000);
      await core.vault.put('alice', 'api-stale2', { accessToken: 'half-added-secret' });
      // Same connection id under another user, and a file with no row at all: neither is the pending add's.
      await core.vault.put('bob', 'api-stale2', { accessToken: 'bobs-unlisted-secret' });
      await core.vault.put('alice', 'api-loose1', { accessToken: 'unlisted-secret' });
      core.close();

      core = await open(home);
      assert.deepEqual(core.startup.abandonedAdds, ['api-stale2']);
      assert.equal(await core.credentials.read({ userId: 'alice', connectionId: 'api-stale2' }), null);
      assert.equal((await core.credentials.read({ userId: 'bob', connectionId: 'api-stale2' }))?.accessToken, 'bobs-unlisted-secret');
      assert.equal((await core.credentials.read({ userId: 'alice', connectionId: 'api-loose1' }))?.accessToken, 'unlisted-secret');
      assert.notEqual(await core.credentials.read({ userId: 'alice', connectionId: kept.id }), null);
      core.close();
    }));

  test('a file written the old way (no metadata) gets its connection details once, then recovers', () =>
    withHome(async (home) => {
      let core = await open(home);
      const c = await addUntested(core, 'Old');
      // What a Sophon before generations left: the bare credential, and a row at generation 0.
      const key = await core.keys.get();
      await writeFile(vaultFile(home, 'alice', c.id), encryptVaultFile(key, 'alice', c.id, Buffer.from(JSON.stringify({ accessToken: 'old-format-secret', extra: {} }))));
      core.db.prepare('UPDATE connections SET vault_generation = 0').run();
      assert.equal((await core.vault.inspect('alice', c.id))?.meta, null);
      core.close();

      core = await open(home);
      assert.deepEqual(core.startup.migrated, [c.id]);
      const inspected = await core.vault.inspect('alice', c.id);
      assert.equal(inspected?.credential.accessToken, 'old-format-secret');
      assert.deepEqual(
        { ...inspected?.meta },
        { generation: 1, serviceId: 'api', label: 'Old', authMethod: 'bearer', fields: {}, scopes: [], createdAt: Date.parse(c.createdAt), secretHint: c.secretHint, account: null },
      );
      assert.equal(core.store.vaultGeneration(c.id, 'alice'), 1);
      core.close();

      // Once: the next open rewrites nothing.
      const bytes = await readFile(vaultFile(home, 'alice', c.id));
      core = await open(home);
      assert.deepEqual(core.startup.migrated, []);
      assert.deepEqual(await readFile(vaultFile(home, 'alice', c.id)), bytes);
      core.db.prepare('DELETE FROM connections').run();
      assert.deepEqual((await core.connections.recover()).recovered.map((r) => r.id), [c.id]);
      assert.equal(await core.connections.accessToken('alice', c.id, { waitMs: 0 }), 'old-format-secret');
      core.close();
    }));
});

describe('a vault file put back from an older copy is refused', () => {
  test('put, copy, put, copy back: verify and every use say vault_file_rolled_back', () =>
    withHome(async (home) => {
      const core = await open(home);
      try {
        const c = await addUntested(core, 'Rolled');
        const file = vaultFile(home, 'alice', c.id);
        await copyFile(file, `${file}.bak`);
        await core.vault.put('alice', c.id, { accessToken: 'newer-secret-value' });
        assert.equal(core.store.vaultGeneration(c.id, 'alice'), 2);
        await copyFile(`${file}.bak`, file);
        await rm(`${file}.bak`);

        await assert.rejects(core.credentials.read({ userId: 'alice', connectionId: c.id }), rejectsWith('vault_file_rolled_back'));
        await assert.rejects(core.credentials.resolve({ userId: 'alice', connection: core.connections.resolve('alice', c.id), purpose: 'proxy' }), rejectsWith('vault_file_rolled_back'));
        await assert.rejects(core.connections.test('alice', c.id), rejectsWith('vault_file_rolled_back'));
        await assert.rejects(core.connections.accessToken('alice', c.id, { waitMs: 0 }), rejectsWith('vault_file_rolled_back'));
        const report = await core.verifyVault();
        assert.deepEqual(report.failures.map((f) => [f.connectionId, f.code]), [[c.id, 'vault_file_rolled_back']]);
        assert.doesNotMatch(JSON.stringify(report), /secret-Rolled|newer-secret/);
      } finally {
        core.close();
      }
    }));

  test('a file newer than its row (a writer stopped before recording it) is adopted, not refused', () =>
    withHome(async (home) => {
      const core = await open(home);
      try {
        const c = await addUntested(core, 'Ahead');
        await core.vault.put('alice', c.id, { accessToken: 'written-before-the-crash' });
        core.db.prepare('UPDATE connections SET vault_generation = 1 WHERE id = ?').run(c.id);
        assert.equal((await core.credentials.read({ userId: 'alice', connectionId: c.id }))?.accessToken, 'written-before-the-crash');
        assert.equal(core.store.vaultGeneration(c.id, 'alice'), 2);
      } finally {
        core.close();
      }
    }));
});

describe('connect remove: a kill at any step leaves the whole connection or nothing', () => {
  for (const step of ['marked', 'file_deleted'] as const satisfies readonly RemoveStep[]) {
    test(`killed after "${step}": hidden at once, finished at the next open`, () =>
      withHome(async (home) => {
        let core = await open(home);
        const c = await addUntested(core, 'Doomed');
        const killed = new Error(`killed after ${step}`);
        const service = new ConnectionService({
          store: core.store,
          audit: core.audit,
          vault: core.vault,
          credentials: core.credentials,
          catalog,
          tester: () => Promise.reject(new Error('not used')),
          afterRemoveStep: (s) => {
            if (s === step) throw killed;
          },
        });
        await assert.rejects(service.remove('alice', c.id), (err) => err === killed);
        assert.deepEqual(await core.connections.list('alice'), []);
        core.close();

        core = await open(home);
        assert.deepEqual(core.startup.finishedRemovals, [c.id]);
        assert.deepEqual(core.startup.unlisted, []);
        assert.equal(core.store.get(c.id), null);
        assert.deepEqual(await readdir(join(home, 'vault')), []);
        assert.ok(core.audit.query({ connectionId: c.id }).some((r) => r.action === 'remove' && /interrupted/.test(r.detail ?? '')));
        core.close();
      }));
  }
});
