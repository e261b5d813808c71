import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Throwaway stores in the formats gh, Claude Code and Codex write, under one temp folder that stands
 * in for HOME, so a test never reads (let alone changes) the person's own logins.
 */
export interface CliStores {
  root: string;
  home: string;
  ghDir: string;
  codexHome: string;
  claudeDir: string;
  /** HOME, XDG_CONFIG_HOME, GH_CONFIG_DIR and CODEX_HOME pointing into the temp folder; no inherited tokens. */
  env: NodeJS.ProcessEnv;
  cleanup: () => Promise<void>;
}

const INHERITED = ['GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'GH_CONFIG_DIR', 'XDG_CONFIG_HOME'];

export async function cliStores(): Promise<CliStores> {
  const root = await mkdtemp(join(tmpdir(), 'sophon-import-'));
  const home = join(root, 'home');
  await mkdir(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Undefined, not deleted: spread over process.env (as the CLI helper does), it still unsets them.
  for (const k of INHERITED) env[k] = undefined;
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GH_CONFIG_DIR: join(home, '.config', 'gh'), CODEX_HOME: join(home, '.codex') });
  return {
    root,
    home,
    ghDir: join(home, '.config', 'gh'),
    codexHome: join(home, '.codex'),
    claudeDir: join(home, '.claude'),
    env,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A token-looking random value, unique per test: the canary searched for everywhere afterwards. */
export function fakeToken(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('hex')}`;
}

/** Writes like the CLIs do: a new file renamed over the old one (a rewrite, not an edit in place), mode 0600. */
export async function writeStore(path: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** gh's hosts.yml before multi-account (gh < 2.40): one user and its token per host. */
export function ghHostsOld(hosts: Record<string, { user: string; token?: string }>): string {
  return Object.entries(hosts)
    .map(([host, h]) => `${host}:\n    ${h.token ? `oauth_token: ${h.token}\n    ` : ''}user: ${h.user}\n    git_protocol: https\n`)
    .join('');
}

/**
 * gh ≥ 2.40's multi-account hosts.yml: the active `user` (and its token with insecure storage) at host
 * level, every account under `users` (an empty map when its token is in the keyring).
 */
export function ghHostsMulti(hosts: Record<string, { active: string; users: Record<string, string | null> }>): string {
  return Object.entries(hosts)
    .map(([host, h]) => {
      const activeToken = h.users[h.active];
      const users = Object.entries(h.users)
        .map(([u, t]) => (t ? `        ${u}:\n            oauth_token: ${t}\n` : `        ${u}: {}\n`))
        .join('');
      return `${host}:\n    git_protocol: https\n    users:\n${users}${activeToken ? `    oauth_token: ${activeToken}\n` : ''}    user: ${h.active}\n`;
    })
    .join('');
}

export interface ClaudeLogin {
  accessToken?: unknown;
  refreshToken?: unknown;
  expiresAt?: unknown;
  scopes?: unknown;
  subscriptionType?: unknown;
}

export function claudeCredentials(login: ClaudeLogin): string {
  return JSON.stringify({ claudeAiOauth: { rateLimitTier: 'default_claude_max_5x', ...login }, mcpOAuth: {} });
}

export function claudeAccount(accountUuid: string, emailAddress: string): string {
  return JSON.stringify({ numStartups: 3, oauthAccount: { accountUuid, emailAddress, organizationUuid: 'org-1' }, projects: {} });
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT with these claims (Codex stores the raw JWTs; Sophon only reads their claims). */
export function jwt(claims: object): string {
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.${randomBytes(16).toString('base64url')}`;
}

export function codexChatgptAuth(opts: { email: string; plan: string; accountId: string; exp: number; accessToken?: string; refreshToken: string }): { text: string; accessToken: string } {
  const accessToken = opts.accessToken ?? jwt({ exp: opts.exp, sub: 'user-1', nonce: randomBytes(8).toString('hex') });
  const idToken = jwt({ email: opts.email, 'https://api.openai.com/auth': { chatgpt_plan_type: opts.plan, chatgpt_account_id: opts.accountId } });
  const text = JSON.stringify({
    OPENAI_API_KEY: null,
    tokens: { id_token: idToken, access_token: accessToken, refresh_token: opts.refreshToken, account_id: opts.accountId },
    last_refresh: new Date().toISOString(),
  });
  return { text, accessToken };
}

export function codexApiKeyAuth(key: string): string {
  return JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: key });
}

/** A token endpoint on 127.0.0.1 that only counts: the importer must never call one. */
export async function countingTokenEndpoint(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":"invalid_grant"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/oauth/token`, hits: () => hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Plants an item in the real Secret Service the way go-keyring (gh) and the keyring crate (Codex) write it. */
export async function plantKeyringItem(attrs: Record<string, string>, secret: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { spawn } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('secret-tool', ['store', '--label=sophon-import-test', ...Object.entries(attrs).flat()], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`secret-tool store failed (${code}): ${err}`))));
    child.stdin.end(secret);
  });
}

export async function clearKeyringItem(attrs: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { spawn } = await import('node:child_process');
  await new Promise<void>((resolve) => {
    const child = spawn('secret-tool', ['clear', ...Object.entries(attrs).flat()], { env, stdio: 'ignore' });
    child.on('close', () => resolve());
    child.on('error', () => resolve());
  });
}
