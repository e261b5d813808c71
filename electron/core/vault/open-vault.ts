import { resolveHome, sophonPaths, type SophonPaths } from '../config/paths';
import { loadSettings, type Settings } from '../config/settings';
import { SophonError } from '../errors';
import { FileKeyProtector } from '../keys/file-protector';
import { KEY_PROTECTOR_KINDS, type KeyProtector } from '../keys/key-protector';
import { KeychainProtector } from '../keys/keychain-protector';
import { MasterKeyStore } from '../keys/master-key';
import type { TokenRefresher } from './credential';
import { LocalVaultBackend } from './local-vault';

export const VAULT_PROVIDERS = ['local'] as const;

export interface OpenedVault {
  paths: SophonPaths;
  settings: Settings;
  protector: KeyProtector;
  keys: MasterKeyStore;
  vault: LocalVaultBackend;
}

export interface OpenVaultOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  refresher?: TokenRefresher;
}

export function createKeyProtector(paths: SophonPaths, settings: Settings): KeyProtector {
  const vault = settings.Sophon.Vault;
  switch (vault.KeyProtector) {
    case 'keychain':
      return new KeychainProtector(vault.KeychainService, paths.settingsFile);
    case 'file':
      return new FileKeyProtector(paths.keyFile);
    default:
      throw new SophonError(
        'settings_invalid',
        `Sophon.Vault.KeyProtector is ${JSON.stringify(vault.KeyProtector)} in ${paths.settingsFile}; choose one of: ${KEY_PROTECTOR_KINDS.join(', ')}.`,
      );
  }
}

/** Reads the settings and builds the configured backend. Nothing touches the key until it is needed. */
export async function openVault(options: OpenVaultOptions = {}): Promise<OpenedVault> {
  const env = options.env ?? process.env;
  const paths = sophonPaths(resolveHome(options.home, env));
  const settings = await loadSettings(paths.settingsFile, env);
  const provider = settings.Sophon.Vault.Provider;
  if (!(VAULT_PROVIDERS as readonly string[]).includes(provider)) {
    throw new SophonError(
      // Nothing is unavailable: the setting names a provider this build does not have, which the setting fixes.
      'settings_invalid',
      `Sophon.Vault.Provider is ${JSON.stringify(provider)} in ${paths.settingsFile}, but this version of Sophon has only: ${VAULT_PROVIDERS.join(', ')}.`,
    );
  }
  const protector = createKeyProtector(paths, settings);
  const keys = new MasterKeyStore(paths, protector, () => LocalVaultBackend.keyIdsIn(paths.vaultDir));
  const vault = new LocalVaultBackend(paths, keys, options.refresher);
  return { paths, settings, protector, keys, vault };
}
