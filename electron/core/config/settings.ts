import { promises as fsp } from 'node:fs';
import { z } from 'zod';
import { errnoOf, SophonError } from '../errors';
import { isKeyProtectorKind, KEY_PROTECTOR_KINDS } from '../keys/registry';
import { parseJsonText, validate } from '../validation/parse';

/** `config/appsettings.json`. Unknown keys are kept (later features and the user's own notes live there too). */
const VaultSettingsSchema = z.looseObject({
  Provider: z.string().default('local'),
  KeyProtector: z
    .string()
    .refine((kind: string): boolean => isKeyProtectorKind(kind), { error: (issue): string => `${JSON.stringify(issue.input)} is not a key protector; choose one of: ${KEY_PROTECTOR_KINDS.join(', ')}` })
    .default('keychain'),
  KeychainService: z.string().min(1).max(200).default('Sophon'),
});

/**
 * `Sophon.OAuth.<serviceId>`: the client Sophon is registered as at that service. Never committed: each
 * install sets its own. The client secret is a vault record (`ClientSecretInVault`); a plaintext
 * `ClientSecret` is only read to be moved there (config/oauth-clients.ts).
 */
const OAuthClientSettingsSchema = z.looseObject({
  ClientId: z.string().min(1).max(500),
  ClientSecret: z.string().min(1).max(500).optional(),
  ClientSecretInVault: z.boolean().optional(),
});

/** `Sophon.Import.Auto`: on start the app looks for CLI logins and offers them (true/"offer"), imports them ("import"), or does nothing (false/"off"). */
const ImportSettingsSchema = z.looseObject({
  Auto: z.union([z.boolean(), z.enum(['offer', 'import', 'off'])]).default(true),
});

/** `Sophon.Log.Level`: how much goes into logs/sophon.log (`--debug` and SOPHON_LOG_LEVEL win over it). */
const LogSettingsSchema = z.looseObject({
  Level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).optional(),
});

const SettingsSchema = z.looseObject({
  Sophon: z
    .looseObject({
      Vault: VaultSettingsSchema.default(() => VaultSettingsSchema.parse({})),
      OAuth: z.record(z.string(), OAuthClientSettingsSchema).default({}),
      Import: ImportSettingsSchema.default(() => ImportSettingsSchema.parse({})),
      Log: LogSettingsSchema.optional(),
    })
    .default(() => ({ Vault: VaultSettingsSchema.parse({}), OAuth: {}, Import: ImportSettingsSchema.parse({}) })),
});

export type Settings = z.output<typeof SettingsSchema>;

export async function loadSettings(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  let text: string | null = null;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') {
      throw new SophonError('settings_invalid', `Cannot read settings file ${file} (${errnoOf(err) ?? 'error'})`, { cause: err });
    }
  }
  let raw: unknown = {};
  if (text !== null) {
    try {
      raw = parseJsonText(text, `Settings file ${file}`);
    } catch (err) {
      throw new SophonError('settings_invalid', (err as Error).message);
    }
  }
  const settings = validate(SettingsSchema, raw, `Settings file ${file}`, 'settings_invalid');
  // Lets tests (and a second install) use their own keychain entry without editing the file.
  if (env.SOPHON_KEYCHAIN_SERVICE) settings.Sophon.Vault.KeychainService = env.SOPHON_KEYCHAIN_SERVICE;
  return settings;
}
