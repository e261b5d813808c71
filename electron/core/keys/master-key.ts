import { z } from 'zod';
import type { SophonPaths } from '../config/paths';
import { isSophonError, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir, readFileIfExists } from '../fs/secure-fs';
import { parseJsonText, validate } from '../validation/parse';
import { isKeyProtectorKind, KEY_PROTECTOR_KINDS } from './registry';
import { keyIdOf, MASTER_KEY_BYTES, type KeyProtector, type MasterKey } from './key-protector';
import { keyStateSignature, readRotationJournal, rotationJournalFile, type RotationKeyRef } from './rotation-journal';

/** `security/keyinfo.json`: which key the vault uses and who protects it. No secret in it. */
const KeyInfoSchema = z.object({
  format: z.literal(1),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  protector: z.string().refine((kind: string): boolean => isKeyProtectorKind(kind), { error: (): string => `not a key protector; one of: ${KEY_PROTECTOR_KINDS.join(', ')}` }),
  createdAt: z.string(),
  /** Set by `sophon vault rotate-key`: when this key replaced `previousKeyId`. */
  rotatedAt: z.string().optional(),
  previousKeyId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
});
export type KeyInfo = z.infer<typeof KeyInfoSchema>;

/** Key ids found in the headers of existing vault files, with how many files use each. */
export type ExistingKeyIds = () => Promise<Map<string, number>>;

export interface KeyState {
  keyId: string | null;
  location: string | null;
  reachable: boolean;
  problem: string | null;
  /** From keyinfo.json (no secret): when the current key was made and when it last replaced another. */
  createdAt?: string;
  rotatedAt?: string;
  /** A key rotation was interrupted (security/rotation.json): `sophon vault rotate-key` finishes it. */
  rotationInProgress?: boolean;
}

/** Builds protectors other than the configured one, from the settings as they are on disk now (a rotation may have changed them). */
export interface OtherProtectors {
  create(kind: string, where: 'final' | 'staged'): Promise<KeyProtector>;
  /** Sophon.Vault.KeyProtector as the settings file says now. */
  configuredKind(): Promise<string>;
}

/**
 * Finds, loads or (only for an empty vault) creates the master key, and caches it for the process.
 * A key that has gone missing next to existing vault files is an error to explain, never a reason to
 * create a new one.
 */
export class MasterKeyStore {
  private cached: MasterKey | undefined;
  /** During a rotation's rewrap phase: the key being retired, which files not yet re-sealed still need. */
  private retiring: MasterKey | undefined;
  private signature: string | undefined;

  constructor(
    private readonly paths: SophonPaths,
    private protector: KeyProtector,
    private readonly existingKeyIds: ExistingKeyIds,
    private readonly others?: OtherProtectors,
  ) {}

  /**
   * The key to seal with. Another process may rotate the key at any time, so the cache holds only while
   * keyinfo.json and the rotation journal are unchanged (two small reads per call; writes pay it, reads of
   * a file under a key already held do not, see keyFor).
   */
  async get(): Promise<MasterKey> {
    const signature = await keyStateSignature(this.paths);
    if (this.cached && signature === this.signature) return this.cached;
    const journal = this.others ? await readRotationJournal(this.paths) : null;
    if (journal && journal.phase !== 'prepare') {
      this.cached = await this.loadRotating(journal.to, 'to');
      // Only files not yet re-sealed need the old key; after the commit it may already be gone.
      // Not fatal when missing: the files still under it then fail to open by name, everything else works.
      this.retiring = journal.phase === 'rewrap' ? await this.loadRotating(journal.from, 'from').catch(() => undefined) : undefined;
    } else {
      this.cached = await this.findOrCreate();
      this.retiring = undefined;
    }
    this.signature = signature;
    return this.cached;
  }

  /** The key that opens a file whose header names `keyId`: the current one, or during a rotation the one being retired. */
  async keyFor(keyId?: string | null): Promise<MasterKey> {
    // A file sealed with a key this process already holds needs no look at the disk: reads stay as fast as before rotations existed.
    if (keyId && this.cached?.id === keyId) return this.cached;
    if (keyId && this.retiring?.id === keyId) return this.retiring;
    const current = await this.get();
    if (keyId && keyId !== current.id && this.retiring?.id === keyId) return this.retiring;
    return current;
  }

  /** A key named in the rotation journal: a staged new key is found in the staging folder until the commit moves it. */
  private async loadRotating(ref: RotationKeyRef, which: 'from' | 'to'): Promise<MasterKey> {
    const others = this.others!;
    const final = ref.protector === this.protector.kind ? this.protector : await others.create(ref.protector, 'final');
    const places = which === 'to' ? [await others.create(ref.protector, 'staged'), final] : [final];
    for (const place of places) {
      const key = await place.load(ref.keyId).catch((err: unknown) => {
        // A one-key file that already holds the other key of the rotation: look in the next place.
        if (isSophonError(err) && err.code === 'vault_key_mismatch') return null;
        throw err;
      });
      if (key) return { id: ref.keyId, key };
    }
    throw new SophonError(
      'vault_key_missing',
      `A key rotation is in progress (${rotationJournalFile(this.paths)}) but its ${which === 'to' ? 'new' : 'old'} key ${ref.keyId} is not in ${final.location(ref.keyId)}. ` +
        'Run `sophon vault rotate-key` to finish the rotation, or restore that key from your backup.',
    );
  }

  /** The key if this process has already loaded it; never loads it (for work that only helps when it is there). */
  peek(): MasterKey | undefined {
    return this.cached;
  }

  /** For `vault status`: what is known about the key, without ever creating one. */
  async state(): Promise<KeyState> {
    const info = await this.readKeyInfo().catch(() => null);
    const journal = await readRotationJournal(this.paths).catch(() => null);
    const dates = { ...(info?.createdAt ? { createdAt: info.createdAt } : {}), ...(info?.rotatedAt ? { rotatedAt: info.rotatedAt } : {}), ...(journal ? { rotationInProgress: true } : {}) };
    try {
      if (journal && journal.phase !== 'prepare' && this.others) {
        // Mid-rotation the key in use is the new one, wherever it waits.
        const key = await this.get();
        const where = journal.to.protector === this.protector.kind ? this.protector : await this.others.create(journal.to.protector, 'final');
        return { keyId: key.id, location: where.location(key.id), reachable: true, problem: null, ...dates };
      }
      const keyId = await this.expectedKeyId();
      if (keyId === null) {
        // Nothing stored yet: "reachable" means the store answers, so the first write will succeed.
        await this.protector.probe();
        return { keyId: null, location: null, reachable: true, problem: null, ...dates };
      }
      await this.loadExisting(keyId);
      return { keyId, location: this.protector.location(keyId), reachable: true, problem: null, ...dates };
    } catch (err) {
      if (!isSophonError(err)) throw err;
      const keyId = await this.expectedKeyId().catch(() => null);
      return { keyId, location: keyId ? this.protector.location(keyId) : null, reachable: false, problem: err.message, ...dates };
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
      // A rotation in another process may have moved the key to another protector and updated the settings since this one started.
      if (info.protector !== this.protector.kind && this.others) {
        const now = await this.others.create(info.protector, 'final').catch(() => null);
        if (now && (await this.others.configuredKind()) === info.protector) this.protector = now;
      }
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
    await writeKeyInfoFile(this.paths, { format: 1, keyId, protector: this.protector.kind, createdAt: new Date().toISOString() });
  }
}

export async function writeKeyInfoFile(paths: SophonPaths, info: KeyInfo): Promise<void> {
  await ensurePrivateDir(paths.securityDir);
  await atomicWriteFile(paths.keyInfoFile, JSON.stringify(info, null, 2) + '\n');
}
