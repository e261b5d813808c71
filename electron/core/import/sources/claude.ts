import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { CLAUDE_SUBSCRIPTION_SERVICE_ID, proxyRefusal } from '../broker-policy';
import { parseStoreJson, readStoreFile, StoreProblem } from '../store-file';
import type { FoundLogin, LinkedRead, LoginSource, SourceEnv, SourceReport } from '../types';

/** `.credentials.json` (or the macOS Keychain item): the login Claude Code owns. Unknown keys are ignored. */
const ClaudeCredentialsSchema = z.looseObject({
  claudeAiOauth: z
    .looseObject({
      accessToken: z.string().min(1),
      refreshToken: z.string().optional(),
      expiresAt: z.number().nonnegative().nullish(),
      scopes: z.array(z.string()).nullish(),
      subscriptionType: z.string().nullish(),
    })
    .nullish(),
});

/** `~/.claude.json`: who is logged in (no secret). */
const ClaudeAccountSchema = z.looseObject({
  oauthAccount: z
    .looseObject({ accountUuid: z.string().nullish(), emailAddress: z.string().nullish(), organizationName: z.string().nullish() })
    .nullish(),
});

export interface ClaudeLocation {
  configDir: string;
  credentialsFile: string;
  accountFile: string;
  /** macOS Keychain service name, where the login lives on macOS. */
  keychainService: string;
}

export function claudeLocation(se: SourceEnv): ClaudeLocation {
  const custom = se.env.CLAUDE_CONFIG_DIR;
  const configDir = custom || join(se.home, '.claude');
  return {
    configDir,
    credentialsFile: join(configDir, '.credentials.json'),
    accountFile: custom ? join(custom, '.claude.json') : join(se.home, '.claude.json'),
    // With CLAUDE_CONFIG_DIR the item name carries the first 8 hex of SHA-256 of the folder path.
    keychainService: custom ? `Claude Code-credentials-${createHash('sha256').update(custom).digest('hex').slice(0, 8)}` : 'Claude Code-credentials',
  };
}

interface ClaudeRead {
  login: z.output<typeof ClaudeCredentialsSchema>['claudeAiOauth'];
  where: string;
  storage: 'file' | 'keychain';
  warnings: string[];
}

/** The Keychain item may come back hex-encoded (Claude Code 2.1.x). */
function decodeKeychainValue(value: string): string {
  const v = value.trim();
  return /^(?:[0-9a-f]{2})+$/i.test(v) && v.startsWith('7b') ? Buffer.from(v, 'hex').toString('utf8') : v;
}

async function readMacKeychain(loc: ClaudeLocation, se: SourceEnv): Promise<string | null> {
  if (se.platform !== 'darwin') return null;
  type Keytar = typeof import('keytar');
  const mod = await import('keytar');
  const keytar = ((mod as { default?: Keytar }).default ?? mod) as Keytar;
  try {
    const value = await keytar.getPassword(loc.keychainService, se.env.USER ?? '');
    return value === null ? null : decodeKeychainValue(value);
  } catch {
    throw new StoreProblem(`The macOS Keychain item "${loc.keychainService}" cannot be read (is the Keychain locked?).`);
  }
}

async function readClaude(loc: ClaudeLocation, se: SourceEnv): Promise<ClaudeRead | null> {
  let text: string | null = null;
  let where = loc.credentialsFile;
  let storage: ClaudeRead['storage'] = 'file';
  const warnings: string[] = [];
  const fromKeychain = await readMacKeychain(loc, se);
  if (fromKeychain !== null) {
    text = fromKeychain;
    where = `macOS Keychain "${loc.keychainService}"`;
    storage = 'keychain';
  } else {
    const file = await readStoreFile(loc.credentialsFile, "Claude Code's credentials file", { secretFile: true });
    if (!file) return null;
    text = file.text;
    warnings.push(...file.warnings);
  }
  const parsed = ClaudeCredentialsSchema.safeParse(parseStoreJson(text, `Claude Code's credentials (${where})`));
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(top level)'))].join(', ');
    throw new StoreProblem(`Claude Code's credentials (${where}) are not in the expected shape (${fields}).`);
  }
  return { login: parsed.data.claudeAiOauth, where, storage, warnings };
}

async function readAccount(loc: ClaudeLocation): Promise<{ id: string | null; label: string | null; warning: string | null }> {
  try {
    const file = await readStoreFile(loc.accountFile, "Claude Code's account file", { secretFile: false });
    if (!file) return { id: null, label: null, warning: null };
    const parsed = ClaudeAccountSchema.safeParse(parseStoreJson(file.text, `Claude Code's account file ${loc.accountFile}`));
    if (!parsed.success) return { id: null, label: null, warning: `Claude Code's account file ${loc.accountFile} has an unexpected shape; the account is unknown.` };
    const a = parsed.data.oauthAccount;
    return { id: a?.accountUuid ?? a?.emailAddress ?? null, label: a?.emailAddress ?? a?.accountUuid ?? null, warning: null };
  } catch (err) {
    return { id: null, label: null, warning: err instanceof StoreProblem ? `${err.message} The account is unknown.` : 'The account is unknown.' };
  }
}

export async function scanClaude(se: SourceEnv): Promise<{ report: SourceReport; logins: FoundLogin[] }> {
  const loc = claudeLocation(se);
  const report: SourceReport = { source: 'claude', status: 'ok', messages: [] };
  let read: ClaudeRead | null;
  try {
    read = await readClaude(loc, se);
  } catch (err) {
    if (!(err instanceof StoreProblem)) throw err;
    return { report: { ...report, status: 'error', messages: [err.message] }, logins: [] };
  }
  if (!read) return { report: { ...report, status: 'missing', messages: [`No Claude Code login (no ${loc.credentialsFile}).`] }, logins: [] };
  report.messages.push(...read.warnings);
  if (!read.login) {
    report.messages.push(`${read.where} holds no Claude.ai login.`);
    return { report, logins: [] };
  }
  const account = await readAccount(loc);
  if (account.warning) report.messages.push(account.warning);
  const policyReason = proxyRefusal({ serviceId: CLAUDE_SUBSCRIPTION_SERVICE_ID, fields: {} });
  const login: FoundLogin = {
    key: `claude:${loc.configDir}:${account.id ?? 'unknown-account'}`,
    source: 'claude',
    store: loc.configDir,
    storage: read.storage,
    serviceId: CLAUDE_SUBSCRIPTION_SERVICE_ID,
    account: account.label,
    host: null,
    plan: read.login.subscriptionType ?? null,
    scopes: read.login.scopes ?? [],
    expiresAt: read.login.expiresAt ?? null,
    defaultMode: 'linked',
    copyAllowed: false,
    policy: policyReason,
    fields: { importAccount: account.id ?? '' },
    warnings: read.warnings,
    secret: read.login.accessToken,
  };
  return { report, logins: [login] };
}

/** Re-reads the store for an imported login: never refreshes, only reads what Claude Code wrote. */
export async function readClaudeLinked(se: SourceEnv, configDir: string, accountId: string): Promise<LinkedRead> {
  const loc = claudeLocation({ ...se, env: { ...se.env, CLAUDE_CONFIG_DIR: configDir === join(se.home, '.claude') ? '' : configDir } });
  let read: ClaudeRead | null;
  try {
    read = await readClaude(loc, se);
  } catch (err) {
    if (err instanceof StoreProblem) return { ok: false, reason: err.message };
    throw err;
  }
  if (!read?.login) return { ok: false, reason: `Claude Code logged out (no login in ${read?.where ?? loc.credentialsFile}).` };
  if (accountId) {
    const now = await readAccount(loc);
    if (now.id && now.id !== accountId) return { ok: false, reason: `Claude Code is now logged in as ${now.label ?? 'another account'}, not the imported account.` };
  }
  const expiresAt = read.login.expiresAt ?? null;
  if (expiresAt !== null && expiresAt <= se.now()) {
    return { ok: false, reason: `The Claude Code login expired at ${new Date(expiresAt).toISOString()}: run \`claude\` to refresh, or connect with an API key.` };
  }
  return { ok: true, secret: read.login.accessToken, expiresAt, account: null, scopes: read.login.scopes ?? [] };
}

/** Claude Code's login (its config folder or the keychain): linked, never refreshed by Sophon. */
export const claudeSource: LoginSource = {
  kind: 'claude',
  name: 'Claude Code',
  owner: 'claude',
  refresh: 'run `claude` to refresh, or connect with an API key',
  expiredName: 'Claude Code',
  from: 'claude',
  onStart: true,
  scan: scanClaude,
  readLinked: (se, fields) => readClaudeLinked(se, fields.importStore ?? '', fields.importAccount ?? ''),
  watchedFolder: (store) => store,
};
