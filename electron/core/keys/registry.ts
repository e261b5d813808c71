import type { z } from 'zod';
import type { SophonPaths } from '../config/paths';
import type { Settings } from '../config/settings';
import { SophonError } from '../errors';
import { FileKeyProtector } from './file-protector';
import type { KeyProtector } from './key-protector';
import { KeychainProtector } from './keychain-protector';
import { Pkcs11Protector, Pkcs11SettingsSchema } from './pkcs11-protector';

/** What a protector may use when it is built: no key is touched until the vault needs one. */
export interface KeyProtectorContext {
  paths: SophonPaths;
  settings: Settings;
  /** Asks the person at a terminal for a secret (a token PIN); absent where no one can answer (app, server, pipes). */
  askSecret?: (question: string) => Promise<string | undefined>;
}

interface Registration {
  /** One line for settings errors and CLI help. */
  description: string;
  /** Its own section under `Sophon.Vault` (e.g. `Pkcs11`), validated as part of the one settings schema. */
  settings?: { key: string; schema: z.ZodType };
  create(ctx: KeyProtectorContext): KeyProtector;
}

/** Types each entry as a Registration, so the kinds can be derived from the table's keys. */
const entry = (registration: Registration): Registration => registration;

/**
 * Every key protector, in one place: one file per implementation plus one entry here. The kinds the
 * settings and the key info file accept, a protector's own settings section, and the CLI help are
 * derived from this table (docs/architecture.md, "Extension points").
 */
const REGISTRY = {
  keychain: entry({
    description: 'the OS keychain: macOS Keychain, Windows Credential Manager, Secret Service',
    create: ({ paths, settings }) => new KeychainProtector(settings.Sophon.Vault.KeychainService, paths.settingsFile),
  }),
  file: entry({
    description: 'a 0600 key file in SOPHON_HOME/security, only as safe as the account',
    create: ({ paths }) => new FileKeyProtector(paths.keyFile),
  }),
  pkcs11: entry({
    description: 'wrapped by a key on a PKCS#11 token: HSM, smart card, YubiKey PIV (settings in Sophon.Vault.Pkcs11)',
    settings: { key: 'Pkcs11', schema: Pkcs11SettingsSchema },
    create: (ctx) => Pkcs11Protector.fromSettings(ctx),
  }),
};

export type KeyProtectorKind = keyof typeof REGISTRY;

export const KEY_PROTECTOR_KINDS = Object.keys(REGISTRY) as [KeyProtectorKind, ...KeyProtectorKind[]];

export function isKeyProtectorKind(kind: string): kind is KeyProtectorKind {
  return Object.hasOwn(REGISTRY, kind);
}

/** The protectors' own sections of `Sophon.Vault`, each optional, for the settings schema. */
export function keyProtectorSettingsShape(): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const kind of KEY_PROTECTOR_KINDS) {
    const own: Registration['settings'] = (REGISTRY[kind] as Registration).settings;
    if (own) shape[own.key] = own.schema.optional();
  }
  return shape;
}

/** One line per kind, "kind: what keeps the key", for help text. */
export function describeKeyProtectorKinds(): string[] {
  return KEY_PROTECTOR_KINDS.map((kind) => `${kind}: ${REGISTRY[kind].description}`);
}

export function createRegisteredKeyProtector(kind: string, ctx: KeyProtectorContext): KeyProtector {
  if (!isKeyProtectorKind(kind)) {
    throw new SophonError('settings_invalid', `Sophon.Vault.KeyProtector is ${JSON.stringify(kind)} in ${ctx.paths.settingsFile}; choose one of: ${KEY_PROTECTOR_KINDS.join(', ')}.`);
  }
  return REGISTRY[kind].create(ctx);
}
