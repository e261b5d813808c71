import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { errnoOf, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir, readFileIfExists } from '../fs/secure-fs';
import { parseJsonText, validate } from '../validation/parse';
import { assertValidId } from '../vault/ids';

/**
 * API tokens of the REST API (`sophon dashboard`, `sophon api-token create`). Each token belongs to one
 * user and may be an admin's. Only a SHA-256 hash of a token is stored (`config/api-tokens.json`, 0600);
 * the token itself is shown once. The exception is the per-install dashboard token of the local person,
 * kept in `config/dashboard-<user>.token` (0600) so `sophon dashboard` can print its address again.
 */
export interface ApiCaller {
  userId: string;
  isAdmin: boolean;
  tokenId: string;
  /** The MCP agent an MCP token stands for (tokens of `config/mcp-tokens.json` only). */
  agent?: string;
}

const TokenEntrySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{8,32}$/),
  userId: z.string(),
  admin: z.boolean(),
  kind: z.enum(['api', 'dashboard', 'mcp']),
  /** For kind mcp: the agent the token is (its name in audit rows and policies). */
  agent: z.string().max(64).optional(),
  /** hex SHA-256 of the token. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
export type TokenEntry = z.infer<typeof TokenEntrySchema>;
const TokenFileSchema = z.object({ format: z.literal(1), tokens: z.array(TokenEntrySchema) });

const TOKEN_PREFIX = 'sph_';
const TOKEN_RE = /^sph_[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export class ApiTokenStore {
  private cache: { ino: number; mtimeMs: number; size: number; byHash: Map<string, TokenEntry> } | null = null;
  readonly file: string;

  /** `fileName`: the MCP door keeps its agents' tokens apart (`mcp-tokens.json`), so no MCP token opens the REST API. */
  constructor(
    private readonly configDir: string,
    fileName = 'api-tokens.json',
  ) {
    this.file = join(configDir, fileName);
  }

  /** Issues a new token for `userId`; returns it once (the caller prints it), stores only its hash. */
  async create(userId: string, options: { admin?: boolean; kind?: TokenEntry['kind']; agent?: string } = {}): Promise<{ token: string; entry: TokenEntry }> {
    assertValidId('user', userId);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const entry: TokenEntry = {
      id: randomBytes(6).toString('hex'),
      userId,
      admin: options.admin === true,
      kind: options.kind ?? 'api',
      sha256: sha256(token).toString('hex'),
      createdAt: new Date().toISOString(),
      ...(options.agent !== undefined ? { agent: options.agent } : {}),
    };
    await this.update((tokens) => [...tokens, entry]);
    return { token, entry };
  }

  async list(): Promise<TokenEntry[]> {
    return [...(await this.load()).values()];
  }

  async revoke(id: string): Promise<boolean> {
    let found = false;
    await this.update((tokens) => tokens.filter((t) => (t.id === id ? ((found = true), false) : true)));
    return found;
  }

  /**
   * The ids of the tokens that still work. Cheap when nothing changed (one stat), so a server can ask
   * often to notice a revocation made by another process (`sophon api-token revoke`).
   */
  async activeIds(): Promise<Set<string>> {
    return new Set([...(await this.load()).values()].map((t) => t.id));
  }

  /** The caller a presented token stands for, or null. Compares hashes in constant time. */
  async authenticate(presented: string | undefined): Promise<ApiCaller | null> {
    if (!presented || !TOKEN_RE.test(presented)) return null;
    const digest = sha256(presented);
    const byHash = await this.load();
    const entry = byHash.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(Buffer.from(entry.sha256, 'hex'), digest)) return null;
    return { userId: entry.userId, isAdmin: entry.admin, tokenId: entry.id, ...(entry.agent !== undefined ? { agent: entry.agent } : {}) };
  }

  /**
   * The local person's dashboard token (admin), created on first use and kept 0600 in the config
   * folder. A token file whose hash is no longer registered (revoked) is replaced.
   */
  async dashboardToken(userId: string): Promise<string> {
    assertValidId('user', userId);
    const file = join(this.configDir, `dashboard-${userId}.token`);
    const existing = (await readFileIfExists(file))?.toString('utf8').trim();
    if (existing && (await this.authenticate(existing))?.userId === userId) return existing;
    const { token } = await this.create(userId, { admin: true, kind: 'dashboard' });
    await atomicWriteFile(file, token + '\n');
    return token;
  }

  private async load(): Promise<Map<string, TokenEntry>> {
    let st;
    try {
      // Every API request authenticates: a synchronous stat is one syscall, where the promise form
      // queues on libuv's thread pool and answers a tick later.
      st = statSync(this.file);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return new Map();
      throw err;
    }
    if (this.cache && this.cache.ino === st.ino && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.byHash;
    const tokens = await this.read();
    const byHash = new Map(tokens.map((t) => [t.sha256, t]));
    this.cache = { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, byHash };
    return byHash;
  }

  private async read(): Promise<TokenEntry[]> {
    const raw = await readFileIfExists(this.file);
    if (raw === null) return [];
    const parsed = validate(TokenFileSchema, parseJsonText(raw.toString('utf8'), `API token file ${this.file}`), `API token file ${this.file}`, 'settings_invalid');
    return parsed.tokens;
  }

  /** Read-modify-write under a lock, so two `api-token create` at once both land. */
  private async update(change: (tokens: TokenEntry[]) => TokenEntry[]): Promise<void> {
    await ensurePrivateDir(this.configDir);
    const release = await lockfile.lock(this.configDir, {
      lockfilePath: `${this.file}.lock`,
      stale: 10_000,
      retries: { retries: 100, minTimeout: 10, maxTimeout: 200 },
    });
    try {
      const next = change(await this.read());
      await atomicWriteFile(this.file, JSON.stringify({ format: 1, tokens: next }, null, 2) + '\n');
      this.cache = null;
    } catch (err) {
      if (err instanceof SophonError) throw err;
      throw new SophonError('internal', `Cannot write ${this.file} (${errnoOf(err) ?? 'error'})`, { cause: err });
    } finally {
      await release();
    }
  }
}
