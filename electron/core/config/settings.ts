import { promises as fsp } from 'node:fs';
import { z } from 'zod';
import { errnoOf, SophonError } from '../errors';
import { isKeyProtectorKind, KEY_PROTECTOR_KINDS, keyProtectorSettingsShape } from '../keys/registry';
import { parseJsonText, validate } from '../validation/parse';

/*
 * `config/appsettings.json`: the one schema every reader uses (config/settings-writer.ts is the one
 * writer, and validates what it writes against this too). Unknown keys are kept (later features and
 * the user's own notes live there too). A section with every value defaulted may be left out.
 */

/**
 * `Sophon.Vault`. `Provider` names a vault provider (vault/providers.ts; openVault says which exist),
 * `KeyProtector` a key protector (keys/registry.ts), whose own section (e.g. `Pkcs11`) comes from its
 * registration.
 */
const VaultSettingsSchema = z.looseObject({
  ...keyProtectorSettingsShape(),
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

/** `Sophon.Broker`: the broker proxy and the tokens it accepts. */
export const BrokerSettingsSchema = z.looseObject({
  /** Lifetime of a minted broker token (default 5 minutes, at most a day). */
  TokenTtlSeconds: z.number().int().min(1).max(86_400).default(300),
  /** Port of `sophon broker serve` on 127.0.0.1 (0: any free port, printed at start). */
  Port: z.number().int().min(0).max(65_535).default(0),
  /** Largest request body a skill may send through the proxy. */
  MaxRequestBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(1024 * 1024),
  /** Largest response (after decompression) the proxy buffers and redacts; larger answers 502. */
  MaxResponseBytes: z.number().int().min(1).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** How long a call waits for the person to re-authenticate a connection that needs it. */
  ReauthWaitSeconds: z.number().int().min(0).max(3_600).default(120),
  /** How long a mint waits for the person to pick a connection when several fit. */
  ChooseWaitSeconds: z.number().int().min(1).max(3_600).default(120),
  /**
   * Processes `sophon broker serve` serves from, sharing its port: 2 (default); 1 the command's own
   * process; 0 one per core (at most 4). One Node process is CPU-bound in the proxy hop (two socket
   * writes and reads a call); a second one on another core raised throughput 20–60% in the benchmark
   * (docs/broker-and-skills.md). The desktop app and `skill run` always serve in their own process.
   */
  Workers: z.number().int().min(0).max(64).default(2),
  /** How long the proxy waits for a service's answer. */
  UpstreamTimeoutSeconds: z.number().int().min(1).max(600).default(60),
});

/** `Sophon.Mcp`: the MCP door. */
const McpSettingsSchema = z.looseObject({
  /** How long a write approval waits for the person's answer before the call is refused (approval_timeout). */
  ApprovalTimeoutSeconds: z.number().int().min(1).max(3_600).default(120),
});

/** A section whose every value has a default: absent, it is its defaults. */
const defaulted = <T extends z.ZodType>(schema: T) => schema.default(() => schema.parse({}) as never);

const SophonSettingsSchema = z.looseObject({
  Vault: defaulted(VaultSettingsSchema),
  OAuth: z.record(z.string(), OAuthClientSettingsSchema).default({}),
  Import: defaulted(ImportSettingsSchema),
  Log: LogSettingsSchema.optional(),
  Broker: defaulted(BrokerSettingsSchema),
  Mcp: defaulted(McpSettingsSchema),
});

export const SettingsSchema = z.looseObject({
  Sophon: defaulted(SophonSettingsSchema),
});

export type Settings = z.output<typeof SettingsSchema>;
export type BrokerSettings = Settings['Sophon']['Broker'];
export type McpSettings = Settings['Sophon']['Mcp'];

/** Validates a parsed appsettings.json (the loader's and the writer's check); `file` names it in errors. */
export function validateSettings(raw: unknown, file: string): Settings {
  return validate(SettingsSchema, raw, `Settings file ${file}`, 'settings_invalid');
}

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
  const settings = validateSettings(raw, file);
  // Lets tests (and a second install) use their own keychain entry without editing the file.
  if (env.SOPHON_KEYCHAIN_SERVICE) settings.Sophon.Vault.KeychainService = env.SOPHON_KEYCHAIN_SERVICE;
  return settings;
}
