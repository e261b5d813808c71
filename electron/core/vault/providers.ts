import type { SophonPaths } from '../config/paths';
import { SophonError } from '../errors';
import type { MasterKeyStore } from '../keys/master-key';
import type { ICredentialVault } from './credential';
import { LocalVaultBackend } from './local-vault';

/** What a vault provider is built from: the data folder and the master key store (storage only: no OAuth). */
export interface VaultProviderContext {
  paths: SophonPaths;
  keys: MasterKeyStore;
}

interface Registration<Backend extends ICredentialVault> {
  /** One line for settings errors and docs. */
  description: string;
  /** Key ids its stored records are sealed with (and how many), so a lost keyinfo.json is never mistaken for an empty vault. */
  keyIdsInUse(paths: SophonPaths): Promise<Map<string, number>>;
  create(ctx: VaultProviderContext): Backend;
}

/** Types each entry as a Registration while keeping its own backend type. */
const entry = <Backend extends ICredentialVault>(registration: Registration<Backend>): Registration<Backend> => registration;

/**
 * Every vault provider (`Sophon.Vault.Provider`), in one place: one file per implementation plus one
 * entry here (docs/architecture.md, "Extension points"). The names the setting accepts are this table's keys.
 */
const REGISTRY = {
  local: entry({
    description: 'one AES-256-GCM file per credential in SOPHON_HOME/vault',
    keyIdsInUse: (paths) => LocalVaultBackend.keyIdsIn(paths.vaultDir),
    create: ({ paths, keys }) => new LocalVaultBackend(paths, keys),
  }),
};

export type VaultProviderKind = keyof typeof REGISTRY;
/** What the core holds as its vault: whichever registered backend the settings chose. */
export type VaultBackend = ReturnType<(typeof REGISTRY)[VaultProviderKind]['create']>;

export const VAULT_PROVIDER_KINDS = Object.keys(REGISTRY) as [VaultProviderKind, ...VaultProviderKind[]];

export function isVaultProviderKind(kind: string): kind is VaultProviderKind {
  return Object.hasOwn(REGISTRY, kind);
}

/** One line per provider, "name: where the records are", for help text and docs. */
export function describeVaultProviders(): string[] {
  return VAULT_PROVIDER_KINDS.map((kind) => `${kind}: ${REGISTRY[kind].description}`);
}

/** The registration named by `Sophon.Vault.Provider`; a settings error naming the registered ones otherwise. */
export function vaultProvider(kind: string, settingsFile: string): (typeof REGISTRY)[VaultProviderKind] {
  if (!isVaultProviderKind(kind)) {
    throw new SophonError(
      // Nothing is unavailable: the setting names a provider this build does not have, which the setting fixes.
      'settings_invalid',
      `Sophon.Vault.Provider is ${JSON.stringify(kind)} in ${settingsFile}, but this version of Sophon has only: ${VAULT_PROVIDER_KINDS.join(', ')}.`,
    );
  }
  return REGISTRY[kind];
}
