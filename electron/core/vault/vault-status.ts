import type { Out } from '../../../shared/contract';
import { FileKeyProtector } from '../keys/file-protector';
import { keyAgeDays, keyReminder } from '../keys/key-age';
import { logFilePath } from '../log/log';
import type { OpenedVault } from './open-vault';

export type VaultStatus = Out<'vault.status'>;

/**
 * What protects the vault and whether its key can be reached, with the problems to show. Never creates
 * a key. The one answer to `sophon vault status` and the `vault.status` operation.
 */
export async function describeVault(opened: Pick<OpenedVault, 'paths' | 'settings' | 'protector' | 'keys' | 'vault'>): Promise<VaultStatus> {
  const key = await opened.keys.state();
  const problems: string[] = [];
  if (key.problem) problems.push(key.problem);
  // Only a key kept in a file has permissions that can be wrong.
  if (opened.protector instanceof FileKeyProtector) {
    const perm = await opened.protector.permissionProblem();
    if (perm) problems.push(perm);
  }
  if (key.rotationInProgress) problems.push('A key rotation was interrupted; run `sophon vault rotate-key` to finish it (every credential stays readable meanwhile).');
  return {
    home: opened.paths.home,
    vaultDir: opened.paths.vaultDir,
    provider: opened.settings.Sophon.Vault.Provider,
    keyProtector: { kind: opened.protector.kind, keyId: key.keyId, location: key.location, reachable: key.reachable },
    key: { createdAt: key.createdAt ?? null, rotatedAt: key.rotatedAt ?? null, ageDays: keyAgeDays(key), rotationInProgress: key.rotationInProgress === true, reminder: keyReminder(key, opened.settings) },
    credentials: (await opened.vault.list()).length,
    problems,
    logFile: logFilePath(opened.paths.home),
  };
}
