import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { createOperations } from '../../../electron/core/api/operations';
import { readBackup } from '../../../electron/core/backup/backup';
import { createCore } from '../../../electron/core/sophon-core';
import { OPERATIONS } from '../../../shared/contract';
import { tempHome } from '../../helpers/home';

test('vault.setBackupSchedule / vault.backupSchedule: admins only; a generated phrase comes back once and opens the scheduled backups; null turns it off', async () => {
  const { home, cleanup } = await tempHome();
  const folder = await mkdtemp(join(tmpdir(), 'sophon-ops-schedule-'));
  afterAll(async () => {
    await cleanup();
    await rm(folder, { recursive: true, force: true });
  });
  const core = await createCore({ home });
  try {
    const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
    const admin = { userId: 'default', isAdmin: true };
    await assert.rejects(ops['vault.backupSchedule']({ userId: 'default', isAdmin: false }, {}), (err: Error & { code?: string }) => err.code === 'forbidden');
    assert.deepEqual(await ops['vault.backupSchedule'](admin, {}), { schedule: null, lastRun: null });
    const input = OPERATIONS['vault.setBackupSchedule'].input.parse({ schedule: { folder, keep: 2, everyHours: 12, passphrase: null } });
    const set = OPERATIONS['vault.setBackupSchedule'].output.parse(await ops['vault.setBackupSchedule'](admin, input));
    assert.match(set.recoveryPhrase ?? '', /^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){7}$/);
    assert.deepEqual([set.schedule?.folder, set.schedule?.keep, set.schedule?.everyHours, set.schedule?.lastBackupAt], [folder, 2, 12, null]);
    const run = await core.backup.runScheduled();
    assert.equal(run.outcome, 'written');
    assert.equal((await readBackup(run.summary!.file, set.recoveryPhrase!.toLowerCase())).format, 1);
    const seen = OPERATIONS['vault.backupSchedule'].output.parse(await ops['vault.backupSchedule'](admin, {}));
    assert.deepEqual(seen.schedule?.files, await readdir(folder));
    assert.ok(!JSON.stringify(seen).includes(set.recoveryPhrase!), 'the phrase is returned once, never again');
    assert.deepEqual(await ops['vault.setBackupSchedule'](admin, { schedule: null }), { schedule: null, recoveryPhrase: null });
    assert.equal((await core.backup.runScheduled()).outcome, 'unscheduled');
    // A relative folder is refused by the contract before anything runs.
    assert.equal(OPERATIONS['vault.setBackupSchedule'].input.safeParse({ schedule: { folder: 'backups', keep: 1, everyHours: 1, passphrase: null } }).success, false);
  } finally {
    core.close();
  }
});
