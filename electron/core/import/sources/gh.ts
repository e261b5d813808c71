import { join } from 'node:path';
import { z } from 'zod';
import { readStoreFile, StoreProblem } from '../store-file';
import { firstLine, runHelper, secretToolLookup, sessionEnv } from './keyring';
import type { FoundLogin, LinkedRead, LoginSource, SourceEnv, SourceReport } from '../types';

/** gh's own folder: GH_CONFIG_DIR, else XDG_CONFIG_HOME/gh, else %AppData%\GitHub CLI on Windows, else ~/.config/gh. */
export function ghConfigDir(se: SourceEnv): string {
  if (se.env.GH_CONFIG_DIR) return se.env.GH_CONFIG_DIR;
  if (se.env.XDG_CONFIG_HOME) return join(se.env.XDG_CONFIG_HOME, 'gh');
  if (se.platform === 'win32' && se.env.APPDATA) return join(se.env.APPDATA, 'GitHub CLI');
  return join(se.home, '.config', 'gh');
}

/** hosts.yml: hostnames at the top level; old layout `user`+`oauth_token`, multi-account (gh ≥ 2.40) adds `users`. */
const HostEntrySchema = z.looseObject({
  user: z.string().nullish(),
  oauth_token: z.string().nullish(),
  users: z.record(z.string(), z.looseObject({ oauth_token: z.string().nullish() }).nullish()).nullish(),
});
const HostsSchema = z.record(z.string(), HostEntrySchema.nullish()).nullish();
type HostEntry = z.output<typeof HostEntrySchema>;

const GH_TIMEOUT_MS = 5000;

export function ghServiceFor(host: string): { serviceId: string; fields: Record<string, string> } {
  return host === 'github.com' ? { serviceId: 'github-pat', fields: {} } : { serviceId: 'github-enterprise', fields: { host } };
}

async function readHosts(dir: string): Promise<{ hosts: Map<string, HostEntry>; warnings: string[] } | null> {
  const file = await readStoreFile(join(dir, 'hosts.yml'), "gh's hosts.yml", { secretFile: true });
  if (!file) return null;
  // Loaded here, not at the top: the source registry (and so the CLI's help) loads this file on every command.
  const { parse: parseYaml } = await import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(file.text);
  } catch (err) {
    if (!(err instanceof Error) || !('linePos' in err || err.name.startsWith('YAML'))) throw err;
    // yaml's messages quote the offending line, which may hold a token: the position only.
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new StoreProblem(`gh's hosts.yml ${join(dir, 'hosts.yml')} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}.`);
  }
  const parsed = HostsSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(top level)'))].join(', ');
    throw new StoreProblem(`gh's hosts.yml ${join(dir, 'hosts.yml')} is not in gh's format (${fields}).`);
  }
  const hosts = new Map<string, HostEntry>();
  for (const [host, entry] of Object.entries(parsed.data ?? {})) if (entry) hosts.set(host, entry);
  return { hosts, warnings: file.warnings };
}

function accountsOf(entry: HostEntry): string[] {
  const names = new Set<string>();
  if (entry.user) names.add(entry.user);
  for (const name of Object.keys(entry.users ?? {})) names.add(name);
  return [...names];
}

type TokenFound = { token: string; storage: string } | { token: null; problem: string };

/** Tells `gh` is missing apart from gh failing, once per scan. */
interface GhState {
  missing: boolean;
  notes: Set<string>;
}

/**
 * The token of one account, where gh keeps it: `gh auth token` for the active account (in a clean
 * environment, so an inherited GH_TOKEN is not mistaken for the login), then the plain-text entries of
 * hosts.yml, then the keyring items gh ≥ 2.26 writes (service `gh:<host>`, username `""` for the active
 * account, `<user>` per account).
 */
async function tokenFor(se: SourceEnv, dir: string, host: string, entry: HostEntry, user: string, gh: GhState): Promise<TokenFound> {
  const active = entry.user === user;
  if (active && !gh.missing) {
    const env = { ...sessionEnv(se.env), GH_CONFIG_DIR: dir, GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1', NO_COLOR: '1' };
    const r = await runHelper('gh', ['auth', 'token', '--hostname', host], env, GH_TIMEOUT_MS);
    const token = r.stdout.trim();
    if (r.code === 0 && token && !/\s/.test(token)) return { token, storage: entry.oauth_token ? 'hosts.yml (via gh)' : 'keyring (via gh)' };
    if (r.spawnError === 'ENOENT') {
      gh.missing = true;
      gh.notes.add('gh is not installed (or not on PATH); its files and the keyring were read directly.');
    } else if (r.timedOut) {
      gh.notes.add(`\`gh auth token --hostname ${host}\` did not answer within ${GH_TIMEOUT_MS / 1000} s; its files and the keyring were read directly.`);
    } else if (r.spawnError) {
      gh.notes.add(`gh could not be started (${r.spawnError}); its files and the keyring were read directly.`);
    } else if (!/no oauth token/i.test(r.stderr)) {
      gh.notes.add(`\`gh auth token --hostname ${host}\` failed (exit ${r.code ?? 'signal'}: ${firstLine(r.stderr) || 'no message'}); its files and the keyring were read directly.`);
    }
  }
  const fileToken = active ? (entry.oauth_token ?? entry.users?.[user]?.oauth_token) : entry.users?.[user]?.oauth_token;
  if (fileToken) return { token: fileToken, storage: 'hosts.yml' };
  const slots = active ? ['', user] : [user];
  for (const username of slots) {
    const found = await secretToolLookup({ service: `gh:${host}`, username }, se.env);
    if (found.kind === 'found' && found.secret.trim()) return { token: found.secret.trim(), storage: 'keyring' };
    if (found.kind === 'unavailable') return { token: null, problem: `gh keeps ${user}'s token for ${host} in the keyring, which cannot be read: ${found.message}.` };
  }
  return { token: null, problem: `gh lists ${user} on ${host} but has no token for it (not in hosts.yml, no keyring item gh:${host}).` };
}

export async function scanGh(se: SourceEnv): Promise<{ report: SourceReport; logins: FoundLogin[] }> {
  const dir = ghConfigDir(se);
  const report: SourceReport = { source: 'gh', status: 'ok', messages: [] };
  let hosts: Awaited<ReturnType<typeof readHosts>>;
  try {
    hosts = await readHosts(dir);
  } catch (err) {
    if (!(err instanceof StoreProblem)) throw err;
    return { report: { ...report, status: 'error', messages: [err.message] }, logins: [] };
  }
  if (!hosts || hosts.hosts.size === 0) return { report: { ...report, status: 'missing', messages: [`gh is not logged in (no accounts in ${join(dir, 'hosts.yml')}).`] }, logins: [] };
  report.messages.push(...hosts.warnings);
  const gh: GhState = { missing: false, notes: new Set() };
  const logins: FoundLogin[] = [];
  for (const [host, entry] of hosts.hosts) {
    for (const user of accountsOf(entry)) {
      const found = await tokenFor(se, dir, host, entry, user, gh);
      if (found.token === null) {
        report.messages.push(found.problem);
        continue;
      }
      const service = ghServiceFor(host);
      logins.push({
        key: `gh:${host}:${user}`,
        source: 'gh',
        store: dir,
        storage: found.storage,
        serviceId: service.serviceId,
        account: user,
        host,
        plan: null,
        scopes: [],
        expiresAt: null,
        defaultMode: 'linked',
        copyAllowed: true,
        policy: null,
        fields: { ...service.fields, importAccount: user, importHost: host, ...(entry.user === user ? {} : { importNote: 'not the active gh account' }) },
        warnings: hosts.warnings,
        secret: found.token,
      });
    }
  }
  report.messages.unshift(...gh.notes);
  if (logins.length === 0 && report.messages.length > 0) report.status = 'error';
  return { report, logins };
}

/** gh's current token for an imported account, or why there is none (logged out, another account). */
export async function readGhLinked(se: SourceEnv, dir: string, host: string, user: string): Promise<LinkedRead> {
  let hosts: Awaited<ReturnType<typeof readHosts>>;
  try {
    hosts = await readHosts(dir);
  } catch (err) {
    if (err instanceof StoreProblem) return { ok: false, reason: err.message };
    throw err;
  }
  const entry = hosts?.hosts.get(host);
  if (!entry || accountsOf(entry).length === 0) return { ok: false, reason: `gh logged out of ${host}.` };
  if (!accountsOf(entry).includes(user)) return { ok: false, reason: `gh on ${host} is now logged in as ${entry.user ?? 'another account'}, not ${user}.` };
  const found = await tokenFor(se, dir, host, entry, user, { missing: false, notes: new Set() });
  if (found.token === null) return { ok: false, reason: found.problem };
  return { ok: true, secret: found.token, expiresAt: null, account: user, scopes: [] };
}

/** The GitHub CLI's logins (hosts.yml, the keyring): linked, and may be copied. */
export const ghSource: LoginSource = {
  kind: 'gh',
  name: 'GitHub CLI (gh)',
  owner: 'gh',
  refresh: 'gh tokens do not expire; `gh auth login` to sign in again',
  expiredName: 'gh',
  from: 'gh',
  onStart: true,
  scan: scanGh,
  readLinked: (se, fields) => readGhLinked(se, fields.importStore ?? '', fields.importHost ?? '', fields.importAccount ?? ''),
  // A folder store is watched itself.
  watchedFolder: (store) => store,
};
