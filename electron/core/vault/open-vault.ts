import { resolveHome, sophonPaths, type SophonPaths } from '../config/paths';
import { loadSettings, type Settings } from '../config/settings';
import { SophonError } from '../errors';
import type { KeyProtector } from '../keys/key-protector';
import { createRegisteredKeyProtector, type KeyProtectorContext } from '../keys/registry';
import { MasterKeyStore } from '../keys/master-key';
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
  /** A terminal prompt for a protector that needs a secret to reach its key (a PKCS#11 token's PIN). */
  askSecret?: KeyProtectorContext['askSecret'];
}

export function createKeyProtector(paths: SophonPaths, settings: Settings, askSecret?: KeyProtectorContext['askSecret']): KeyProtector {
  return createRegisteredKeyProtector(settings.Sophon.Vault.KeyProtector, { paths, settings, askSecret });
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
  const protector = createKeyProtector(paths, settings, options.askSecret);
  const keys = new MasterKeyStore(paths, protector, () => LocalVaultBackend.keyIdsIn(paths.vaultDir));
  const vault = new LocalVaultBackend(paths, keys);
  return { paths, settings, protector, keys, vault };
}
