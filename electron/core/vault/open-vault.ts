import { resolveHome, sophonPaths, type SophonPaths } from '../config/paths';
import { loadSettings, type Settings } from '../config/settings';
import type { KeyProtector } from '../keys/key-protector';
import { createRegisteredKeyProtector, type KeyProtectorContext } from '../keys/registry';
import { MasterKeyStore, type OtherProtectors } from '../keys/master-key';
import { stagedPaths } from '../keys/rotation-journal';
import { vaultProvider, type VaultBackend } from './providers';

export interface OpenedVault {
  paths: SophonPaths;
  settings: Settings;
  protector: KeyProtector;
  keys: MasterKeyStore;
  vault: VaultBackend;
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

/** Protectors a key rotation may involve besides the configured one, built from the settings as they are now. */
function rotationProtectors(paths: SophonPaths, env: NodeJS.ProcessEnv, askSecret?: KeyProtectorContext['askSecret']): OtherProtectors {
  return {
    create: async (kind, where) => createRegisteredKeyProtector(kind, { paths: where === 'staged' ? stagedPaths(paths) : paths, settings: await loadSettings(paths.settingsFile, env), askSecret }),
    configuredKind: async () => (await loadSettings(paths.settingsFile, env)).Sophon.Vault.KeyProtector,
  };
}

/** Reads the settings and builds the configured backend. Nothing touches the key until it is needed. */
export async function openVault(options: OpenVaultOptions = {}): Promise<OpenedVault> {
  const env = options.env ?? process.env;
  const paths = sophonPaths(resolveHome(options.home, env));
  const settings = await loadSettings(paths.settingsFile, env);
  const provider = vaultProvider(settings.Sophon.Vault.Provider, paths.settingsFile);
  const protector = createKeyProtector(paths, settings, options.askSecret);
  const keys = new MasterKeyStore(paths, protector, () => provider.keyIdsInUse(paths), rotationProtectors(paths, env, options.askSecret));
  const vault = provider.create({ paths, keys });
  return { paths, settings, protector, keys, vault };
}
