import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseStoreJson, readStoreFile, StoreProblem } from '../store-file';
import { secretToolLookup } from './keyring';
import type { FoundLogin, LinkedRead, LoginSource, SourceEnv, SourceReport } from '../types';

/** `$CODEX_HOME/auth.json` (AuthDotJson in openai/codex). Unknown keys are ignored. */
const CodexAuthSchema = z.looseObject({
  auth_mode: z.string().nullish(),
  OPENAI_API_KEY: z.string().nullish(),
  tokens: z
    .looseObject({
      id_token: z.string().nullish(),
      access_token: z.string().min(1),
      refresh_token: z.string().nullish(),
      account_id: z.string().nullish(),
    })
    .nullish(),
  last_refresh: z.string().nullish(),
});
type CodexAuth = z.output<typeof CodexAuthSchema>;

export const CODEX_CHATGPT_SERVICE_ID = 'codex-chatgpt';

export function codexHome(se: SourceEnv): string {
  return se.env.CODEX_HOME || join(se.home, '.codex');
}

/** `cli_auth_credentials_store` in config.toml: file (default), keyring, auto or ephemeral. */
async function storeMode(home: string): Promise<string> {
  const file = await readStoreFile(join(home, 'config.toml'), "Codex's config", { secretFile: false }).catch(() => null);
  const m = file ? /^\s*cli_auth_credentials_store\s*=\s*["']([a-z]+)["']/m.exec(file.text) : null;
  return m?.[1] ?? 'file';
}

/** Codex's keyring account: `cli|` + the first 16 hex of SHA-256 of the canonical CODEX_HOME path. */
export function codexKeyringAccount(home: string): string {
  let canonical = home;
  try {
    canonical = realpathSync(home);
  } catch {
    // not there: the raw path, as Codex would have no folder either
  }
  return `cli|${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

/** Claims of a JWT's payload, without verifying it: only for display and expiry, never for trust. */
export function jwtClaims(token: string | null | undefined): Record<string, unknown> | null {
  const part = token?.split('.')[1];
  if (!part) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

function chatgptIdentity(auth: CodexAuth): { email: string | null; plan: string | null; accountId: string | null; expiresAt: number | null } {
  const id = jwtClaims(auth.tokens?.id_token) ?? {};
  const access = jwtClaims(auth.tokens?.access_token) ?? {};
  const profile = (id['https://api.openai.com/profile'] ?? {}) as Record<string, unknown>;
  const authClaims = (id['https://api.openai.com/auth'] ?? {}) as Record<string, unknown>;
  const exp = typeof access.exp === 'number' ? access.exp * 1000 : null;
  return {
    email: str(id.email) ?? str(profile.email),
    plan: str(authClaims.chatgpt_plan_type),
    accountId: auth.tokens?.account_id ?? str(authClaims.chatgpt_account_id) ?? str(authClaims.chatgpt_user_id) ?? str(authClaims.user_id),
    expiresAt: exp,
  };
}

interface CodexRead {
  auth: CodexAuth;
  where: string;
  storage: 'file' | 'keyring';
  warnings: string[];
}

async function readCodex(home: string, se: SourceEnv): Promise<CodexRead | null> {
  const file = await readStoreFile(join(home, 'auth.json'), "Codex's auth.json", { secretFile: true });
  let text: string | null = file?.text ?? null;
  let where = join(home, 'auth.json');
  let storage: CodexRead['storage'] = 'file';
  if (text === null) {
    const mode = await storeMode(home);
    if (mode !== 'keyring' && mode !== 'auto') return null;
    const account = codexKeyringAccount(home);
    where = `keyring item "Codex Auth" / ${account}`;
    const found = await secretToolLookup({ service: 'Codex Auth', username: account }, se.env);
    if (found.kind === 'unavailable') throw new StoreProblem(`Codex keeps its login in the keyring, which cannot be read: ${found.message}`);
    if (found.kind === 'missing') return null;
    text = found.secret;
    storage = 'keyring';
  }
  const parsed = CodexAuthSchema.safeParse(parseStoreJson(text, `Codex's login (${where})`));
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(top level)'))].join(', ');
    throw new StoreProblem(`Codex's login (${where}) is not in the expected shape (${fields}).`);
  }
  return { auth: parsed.data, where, storage, warnings: file?.warnings ?? [] };
}

function loginsOf(home: string, read: CodexRead): FoundLogin[] {
  const logins: FoundLogin[] = [];
  const base = { source: 'codex' as const, store: home, storage: read.storage, host: null, warnings: read.warnings, copyAllowed: false, policy: null, defaultMode: 'linked' as const };
  if (read.auth.OPENAI_API_KEY) {
    logins.push({ ...base, key: `codex:${home}:api-key`, serviceId: 'openai', account: null, plan: null, scopes: [], expiresAt: null, fields: { importAccount: 'api-key' }, secret: read.auth.OPENAI_API_KEY });
  }
  if (read.auth.tokens) {
    const who = chatgptIdentity(read.auth);
    const accountId = who.accountId ?? who.email ?? 'unknown-account';
    logins.push({
      ...base,
      key: `codex:${home}:chatgpt:${accountId}`,
      serviceId: CODEX_CHATGPT_SERVICE_ID,
      account: who.email ?? who.accountId,
      plan: who.plan,
      scopes: [],
      expiresAt: who.expiresAt,
      fields: { importAccount: accountId },
      secret: read.auth.tokens.access_token,
    });
  }
  return logins;
}

export async function scanCodex(se: SourceEnv): Promise<{ report: SourceReport; logins: FoundLogin[] }> {
  const home = codexHome(se);
  const report: SourceReport = { source: 'codex', status: 'ok', messages: [] };
  let read: CodexRead | null;
  try {
    read = await readCodex(home, se);
  } catch (err) {
    if (!(err instanceof StoreProblem)) throw err;
    return { report: { ...report, status: 'error', messages: [err.message] }, logins: [] };
  }
  if (!read) return { report: { ...report, status: 'missing', messages: [`No Codex login (no ${join(home, 'auth.json')}).`] }, logins: [] };
  report.messages.push(...read.warnings);
  const logins = loginsOf(home, read);
  if (logins.length === 0) report.messages.push(`${read.where} holds neither an API key nor a ChatGPT login.`);
  return { report, logins };
}

/** Re-reads Codex's store for an imported login. Never refreshes: Codex rotates single-use refresh tokens. */
export async function readCodexLinked(se: SourceEnv, home: string, key: string): Promise<LinkedRead> {
  let read: CodexRead | null;
  try {
    read = await readCodex(home, se);
  } catch (err) {
    if (err instanceof StoreProblem) return { ok: false, reason: err.message };
    throw err;
  }
  if (!read) return { ok: false, reason: `Codex logged out (no login in ${home}).` };
  const logins = loginsOf(home, read);
  const login = logins.find((l) => l.key === key);
  if (!login) {
    const chatgpt = logins.find((l) => l.serviceId === CODEX_CHATGPT_SERVICE_ID);
    if (key.includes(':chatgpt:') && chatgpt) return { ok: false, reason: `Codex is now logged in as ${chatgpt.account ?? 'another account'}, not the imported account.` };
    return { ok: false, reason: key.endsWith(':api-key') ? `Codex no longer holds an API key in ${read.where}.` : `Codex logged out of its ChatGPT login (${read.where}).` };
  }
  if (login.expiresAt !== null && login.expiresAt <= se.now()) {
    return { ok: false, reason: `The Codex ChatGPT login expired at ${new Date(login.expiresAt).toISOString()}: run \`codex\` to refresh, or connect with an API key.` };
  }
  return { ok: true, secret: login.secret, expiresAt: login.expiresAt, account: login.account, scopes: [] };
}

/** OpenAI Codex's login (CODEX_HOME/auth.json or the keyring): linked, never refreshed by Sophon. */
export const codexSource: LoginSource = {
  kind: 'codex',
  name: 'OpenAI Codex',
  owner: 'codex',
  refresh: 'run `codex` to refresh, or connect with an API key',
  expiredName: 'Codex ChatGPT',
  from: 'openai',
  onStart: true,
  scan: scanCodex,
  readLinked: (se, fields) => readCodexLinked(se, fields.importStore ?? '', fields.importKey ?? ''),
  watchedFolder: (store) => store,
};
