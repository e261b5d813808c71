import { z } from 'zod';
import type { SophonPaths } from '../config/paths';
import { isSophonError, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir, readFileIfExists } from '../fs/secure-fs';
import { parseJsonText, validate } from '../validation/parse';
import { isKeyProtectorKind, KEY_PROTECTOR_KINDS } from './registry';
import { keyIdOf, MASTER_KEY_BYTES, type KeyProtector, type MasterKey } from './key-protector';

/** `security/keyinfo.json`: which key the vault uses and who protects it. No secret in it. */
const KeyInfoSchema = z.object({
  format: z.literal(1),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  protector: z.string().refine((kind: string): boolean => isKeyProtectorKind(kind), { error: (): string => `not a key protector; one of: ${KEY_PROTECTOR_KINDS.join(', ')}` }),
  createdAt: z.string(),
});
type KeyInfo = z.infer<typeof KeyInfoSchema>;

/** Key ids found in the headers of existing vault files, with how many files use each. */
export type ExistingKeyIds = () => Promise<Map<string, number>>;

export interface KeyState {
  keyId: string | null;
  location: string | null;
  reachable: boolean;
  problem: string | null;
}

/**
 * Finds, loads or (only for an empty vault) creates the master key, and caches it for the process.
 * A key that has gone missing next to existing vault files is an error to explain, never a reason to
 * create a new one.
 */
export class MasterKeyStore {
  private cached: MasterKey | undefined;

  constructor(
    private readonly paths: SophonPaths,
    private readonly protector: KeyProtector,
    private readonly existingKeyIds: ExistingKeyIds,
  ) {}

  async get(): Promise<MasterKey> {
    this.cached ??= await this.findOrCreate();
    return this.cached;
  }

  /** The key if this process has already loaded it; never loads it (for work that only helps when it is there). */
  peek(): MasterKey | undefined {
    return this.cached;
  }

  /** For `vault status`: what is known about the key, without ever creating one. */
  async state(): Promise<KeyState> {
    try {
      const keyId = await this.expectedKeyId();
      if (keyId === null) {
        // Nothing stored yet: "reachable" means the store answers, so the first write will succeed.
        await this.protector.probe();
        return { keyId: null, location: null, reachable: true, problem: null };
      }
      await this.loadExisting(keyId);
      return { keyId, location: this.protector.location(keyId), reachable: true, problem: null };
    } catch (err) {
      if (!isSophonError(err)) throw err;
      const keyId = await this.expectedKeyId().catch(() => null);
      return { keyId, location: keyId ? this.protector.location(keyId) : null, reachable: false, problem: err.message };
    }
  }

  private async readKeyInfo(): Promise<KeyInfo | null> {
    const raw = await readFileIfExists(this.paths.keyInfoFile);
    if (raw === null) return null;
    const what = `Key info file ${this.paths.keyInfoFile}`;
    return validate(KeyInfoSchema, parseJsonText(raw.toString('utf8'), what), what);
  }

  /** The key the data needs: from keyinfo.json, else from the vault files' headers; null for an empty vault. */
  private async expectedKeyId(): Promise<string | null> {
    const info = await this.readKeyInfo();
    if (info) {
      if (info.protector !== this.protector.kind) {
        throw new SophonError(
          'settings_invalid',
          `The vault key ${info.keyId} is kept by the "${info.protector}" protector, but Sophon.Vault.KeyProtector is "${this.protector.kind}" in ${this.paths.settingsFile}. ` +
            `Set it back to "${info.protector}"; moving a key between protectors is not supported yet.`,
        );
      }
      return info.keyId;
    }
    const ids = await this.existingKeyIds();
    if (ids.size === 0) return null;
    return [...ids.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  }

  private async loadExisting(keyId: string): Promise<MasterKey> {
    const key = await this.protector.load(keyId);
    if (key) return { id: keyId, key };
    const count = (await this.existingKeyIds()).get(keyId) ?? 0;
    const restore =
      this.protector.restoreAdvice?.(keyId) ??
      (this.protector.kind === 'keychain'
        ? 'restore that keychain item from a backup of your keychain, or run Sophon as the OS user who created it'
        : `put the key file back at ${this.paths.keyFile} from your backup`);
    throw new SophonError(
      'vault_key_missing',
      `The vault key ${keyId} is missing: it is not in ${this.protector.location(keyId)}. ` +
        `${count} credential file(s) in ${this.paths.vaultDir} are encrypted with it, so Sophon will not create a new key. ` +
        `To recover, ${restore}. To start over without those credentials, move ${this.paths.vaultDir} and ${this.paths.keyInfoFile} aside.`,
    );
  }

  private async findOrCreate(): Promise<MasterKey> {
    const keyId = await this.expectedKeyId();
    if (keyId !== null) {
      const key = await this.loadExisting(keyId);
      if ((await this.readKeyInfo()) === null) await this.writeKeyInfo(keyId);
      return key;
    }
    // Ask the store before touching the disk: an unavailable keychain leaves nothing behind.
    await this.protector.probe();
    await ensurePrivateDir(this.paths.securityDir);
    // Two processes opening an empty vault at once must agree on one key. proper-lockfile (with
    // graceful-fs and signal-exit) and node:crypto are loaded only here: every command opens the vault,
    // few create its key.
    const [{ default: lockfile }, { randomBytes }] = await Promise.all([import('proper-lockfile'), import('node:crypto')]);
    const release = await lockfile.lock(this.paths.securityDir, {
      lockfilePath: `${this.paths.keyInfoFile}.lock`,
      stale: 10_000,
      retries: { retries: 100, minTimeout: 10, maxTimeout: 200 },
    });
    try {
      const winner = await this.expectedKeyId();
      if (winner !== null) return await this.loadExisting(winner);
      const key = randomBytes(MASTER_KEY_BYTES);
      const id = keyIdOf(key);
      if (!(await this.protector.store(id, key))) {
        throw new SophonError('vault_key_mismatch', `A vault key is already at ${this.protector.location(id)} but ${this.paths.keyInfoFile} does not name it; restore keyinfo.json or move the key aside.`);
      }
      await this.writeKeyInfo(id);
      return { id, key };
    } finally {
      await release();
    }
  }

  private async writeKeyInfo(keyId: string): Promise<void> {
    await ensurePrivateDir(this.paths.securityDir);
    const info: KeyInfo = { format: 1, keyId, protector: this.protector.kind, createdAt: new Date().toISOString() };
    await atomicWriteFile(this.paths.keyInfoFile, JSON.stringify(info, null, 2) + '\n');
  }
}
