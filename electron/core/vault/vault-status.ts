import type { Out } from '../../../shared/contract';
import { FileKeyProtector } from '../keys/file-protector';
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
  return {
    home: opened.paths.home,
    vaultDir: opened.paths.vaultDir,
    provider: opened.settings.Sophon.Vault.Provider,
    keyProtector: { kind: opened.protector.kind, keyId: key.keyId, location: key.location, reachable: key.reachable },
    credentials: (await opened.vault.list()).length,
    problems,
  };
}
