import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { readBackup } from '../../../electron/core/backup/backup';
import { BACKUP_HEADER_BYTES, KDF_BOUNDS, sealBackup } from '../../../electron/core/backup/backup-format';
import { isSophonError } from '../../../electron/core/errors';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { filesUnder } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

const PASS = 'unit-backup-passphrase';
/** The cheapest parameters a file may carry: enough to run a derivation per flipped byte. */
const CHEAP = { memoryKiB: KDF_BOUNDS.memoryKiB[0], passes: 1, lanes: 1 };
const open = (home: string): Promise<CoreWithInternals> => openCoreInternals({ home, catalog: catalogOf(bearerService('api', 'http://127.0.0.1:9')) });

async function snapshot(home: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await filesUnder(home)) out[relative(home, f)] = createHash('sha256').update(await readFile(f)).digest('hex');
  return out;
}

describe('issue #17: the backup file and an all-or-nothing restore', async () => {
  const source = await tempHome();
  afterAll(() => source.cleanup());
  const file = join(source.home, 'small.sophon-backup');
  const ids: string[] = [];

  test('a flipped byte anywhere (every header and tag byte, a stride through the body) is refused as backup_unreadable', async () => {
    const core = await open(source.home);
    try {
      for (const label of ['One', 'Two']) ids.push((await core.connections.add('default', { serviceId: 'api', label, secret: `secret-${label}-0123456789`, test: false })).connection.id);
      await core.backup.write(file, PASS, { params: CHEAP });
    } finally {
      core.close();
    }
    const good = await readFile(file);
    assert.equal((await readBackup(file, PASS)).connections.length, 2);
    const positions = new Set<number>();
    for (let i = 0; i < BACKUP_HEADER_BYTES; i++) positions.add(i);
    for (let i = BACKUP_HEADER_BYTES; i < good.length - 16; i += 37) positions.add(i);
    for (let i = good.length - 16; i < good.length; i++) positions.add(i);
    const flipped = join(source.home, 'flipped');
    for (const at of positions) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x80;
      await writeFile(flipped, bad);
      await assert.rejects(readBackup(flipped, PASS), (err: unknown) => isSophonError(err, 'backup_unreadable') && /Nothing was changed/.test(err.message), `byte ${at}`);
    }
    await writeFile(flipped, good.subarray(0, good.length - 1));
    await assert.rejects(readBackup(flipped, PASS), (err: unknown) => isSophonError(err, 'backup_unreadable'));
  });

  test('a header asking for 4 GiB of memory is refused before any derivation', async () => {
    const hostile = await sealBackup(PASS, Buffer.from('{}'), { params: CHEAP });
    hostile.writeUInt32BE(4 * 1024 * 1024, 6);
    const path = join(source.home, 'hostile');
    await writeFile(path, hostile);
    const started = Date.now();
    await assert.rejects(readBackup(path, PASS), (err: unknown) => isSophonError(err, 'backup_unreadable') && /memoryKiB=4194304, outside 19456\.\.1048576/.test(err.message));
    assert.ok(Date.now() - started < 1000);
  });

  test('a restore that fails at its last step (a file cannot be put in place) changes nothing: rows, files, and no temps left', async () => {
    const target = await tempHome();
    try {
      let core = await open(target.home);
      // The same id as the backup's first connection, with another secret: --replace would overwrite it.
      core.store.insertPending({ id: ids[0]!, userId: 'default', serviceId: 'api', label: 'Here', authMethod: 'bearer', scopes: [], fields: {}, secretHint: null, expiresAt: null }, Date.now());
      await core.vault.put('default', ids[0]!, { accessToken: 'the-one-here' });
      core.store.setState(ids[0]!, 'active', null);
      // Where the second connection's file must go, something that a file cannot be renamed over.
      await mkdir(join(target.home, 'vault', `default_${ids[1]}.vault`, 'blocker'), { recursive: true });
      core.close();
      const before = await snapshot(target.home);

      core = await open(target.home);
      try {
        const body = await readBackup(file, PASS);
        const plan = await core.backup.plan(body, 'replace');
        // The second is "replace" too: a vault-file name is taken (by the folder).
        assert.deepEqual(plan.connections.map((c) => c.action), ['replace', 'replace']);
        await assert.rejects(core.backup.apply(body, plan), (err: unknown) => isSophonError(err, 'internal') && /could not put .* in place \(E[A-Z]+\); nothing was changed/.test(err.message));
        assert.deepEqual(core.store.list('default').map((r) => r.label), ['Here']);
        assert.equal((await core.credentials.read({ userId: 'default', connectionId: ids[0]! }))?.accessToken, 'the-one-here');
      } finally {
        core.close();
      }
      const after = await snapshot(target.home);
      // sophon.db's WAL may be checkpointed by an open, and the audit chain's signed head moves with its
      // audit rows (the attempt is audited); the connection rows were compared above.
      const files = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('sophon.db') && k !== 'security/audit-head.json'));
      assert.deepEqual(files(after), files(before));
    } finally {
      await target.cleanup();
    }
  });
});
