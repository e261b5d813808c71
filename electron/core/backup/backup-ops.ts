import { join } from 'node:path';
import { ensurePrivateDir } from '../fs/secure-fs';
import { errnoOf, isSophonError, SophonError } from '../errors';
import type { Core } from '../sophon-core';
import { readBackup, type RestoreMode, type RestoreReport } from './backup';
import { generateRecoveryPhrase } from './backup-format';
import { thisRunner } from './last-run';
import { runScheduledBackup, scheduleStatus } from './schedule';

/**
 * The contract's `vault.backup` and `vault.restore` (the Vault page): the CLI's steps, with a file name
 * chosen here (the page names a folder) and the plan returned instead of printed.
 */
export async function backupToFolder(core: Pick<Core, 'backup' | 'vaultStatus'>, folder: string, passphrase: string | null) {
  await ensurePrivateDir(folder).catch((err: unknown) => {
    throw new SophonError('invalid_input', `Cannot write a backup in ${folder} (${errnoOf(err) ?? 'error'}).`);
  });
  const recoveryPhrase = passphrase === null ? generateRecoveryPhrase() : null;
  const createdAt = new Date();
  // Not the scheduled backups' names (sophon-<time>.backup), so pruning never takes a backup made by hand.
  const stamp = createdAt.toISOString().replace(/[-:.]/g, '');
  let summary = null;
  for (let n = 1; summary === null; n++) {
    const file = join(folder, `sophon-backup-${stamp}${n === 1 ? '' : `-${n}`}.backup`);
    try {
      summary = await core.backup.write(file, recoveryPhrase ?? passphrase!);
    } catch (err) {
      if (n >= 20 || !(err instanceof SophonError && err.code === 'invalid_input' && /already exists/.test(err.message))) throw err;
    }
  }
  const keyId = (await core.vaultStatus()).keyProtector.keyId;
  return { ...summary, createdAt: createdAt.toISOString(), keyId, recoveryPhrase };
}

/** Opens and checks the file (passphrase, every byte), plans, and applies the plan when asked. */
export async function restoreFromFile(core: Pick<Core, 'backup'>, file: string, passphrase: string, mode: RestoreMode, apply: boolean): Promise<RestoreReport> {
  const body = await readBackup(file, passphrase);
  const plan = await core.backup.plan(body, mode);
  if (!apply) return plan;
  const changes = plan.connections.some((c) => c.action !== 'keep') || [...plan.systemSecrets, ...plan.oauthClients, ...plan.connectors].some((s) => s.action === 'add' || s.action === 'replace');
  return changes ? core.backup.apply(body, plan) : { ...plan, applied: true };
}

/**
 * The contract's `vault.runBackupSchedule` (Run now): a scheduled backup now, due or not. A failed run is
 * answered with its record rather than thrown, so the page shows the one account of it the tray and the
 * sidebar show too; only when even the record could not be written is the error itself thrown.
 */
export async function runScheduleNow(core: Parameters<typeof runScheduledBackup>[0]) {
  const started = Date.now();
  try {
    const run = await runScheduledBackup(core, { force: true, by: thisRunner(true) });
    if (run.outcome === 'unscheduled') throw new SophonError('not_found', 'No scheduled backups are set: set a schedule first (Scheduled backups, or `sophon vault backup --schedule FOLDER`).');
    return { ...(await scheduleStatus(core)), removed: run.removed };
  } catch (err) {
    if (isSophonError(err, 'not_found')) throw err;
    const status = await scheduleStatus(core).catch(() => null);
    // An earlier failure is not this one's account (its record could not be written).
    if (status?.lastRun?.status !== 'failed' || Date.parse(status.lastRun.at) < started) throw err;
    return { ...status, removed: [] };
  }
}
