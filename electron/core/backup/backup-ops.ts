import { join } from 'node:path';
import { ensurePrivateDir } from '../fs/secure-fs';
import { errnoOf, SophonError } from '../errors';
import type { Core } from '../sophon-core';
import { readBackup, type RestoreMode, type RestoreReport } from './backup';
import { generateRecoveryPhrase } from './backup-format';

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
