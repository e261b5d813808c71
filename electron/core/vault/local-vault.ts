import { promises as fsp, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SophonPaths } from '../config/paths';
import { errnoOf, isSophonError, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir, fsyncDir, readSmallFile, removeStaleTemps } from '../fs/secure-fs';
import type { MasterKey } from '../keys/key-protector';
import type { MasterKeyStore } from '../keys/master-key';
import {
  CredentialDataSchema,
  type CredentialData,
  type CredentialRef,
  type ICredentialVault,
  type StoredCredential,
  type VaultIndex,
  type VaultMeta,
  VaultMetaSchema,
} from './credential';
import { decryptVaultFile, encryptVaultFile, HEADER_BYTES, readKeyId, VaultFileError } from './format';
import { parseVaultFileName, vaultFileName } from './ids';
import { SYSTEM_DIR_NAME } from './system-secrets';
import { acquireRefreshLock, RefreshLockBusyError, settleRefreshLock } from './refresh-lock';
import { rememberCredential } from '../log/known-secrets';

export interface VerifyFailure extends CredentialRef {
  file: string;
  code: string;
  problem: string;
}

export interface VerifyReport {
  total: number;
  ok: number;
  failures: VerifyFailure[];
  /** Files in the vault folder that are not named like a credential. */
  strays: string[];
  /** Credential files with no connection in sophon.db: kept, and `sophon vault recover` can list them again. */
  unlisted: CredentialRef[];
  /** Leftovers of writers that died mid-write, removed by this check. */
  tempsRemoved: string[];
}

/**
 * The default backend: one AES-256-GCM file per credential in `SOPHON_HOME/vault`. Each write replaces
 * its file atomically, so concurrent writers (app and CLI) and crashes never leave a torn file.
 */
export class LocalVaultBackend implements ICredentialVault {
  private dirReady: Promise<void> | undefined;
  private index: VaultIndex | undefined;

  constructor(
    private readonly paths: SophonPaths,
    private readonly keys: MasterKeyStore,
  ) {}

  /** Key ids in use by existing files: what the key store needs when keyinfo.json is gone. */
  static async keyIdsIn(vaultDir: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const systemDir = join(vaultDir, SYSTEM_DIR_NAME);
    // System secrets (OAuth client secrets) are sealed with the same key: they count as data it protects.
    const files = [
      ...(await readDirOrEmpty(vaultDir)).filter((name) => parseVaultFileName(name)).map((name) => join(vaultDir, name)),
      ...(await readDirOrEmpty(systemDir).catch(() => [])).filter((name) => name.endsWith('.vault')).map((name) => join(systemDir, name)),
    ];
    for (const file of files) {
      const fh = await fsp.open(file, 'r').catch(() => null);
      if (!fh) continue;
      try {
        const { buffer, bytesRead } = await fh.read(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
        const id = readKeyId(buffer.subarray(0, bytesRead));
        if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
      } finally {
        await fh.close();
      }
    }
    return ids;
  }

  private fileFor(userId: string, connectionId: string): string {
    return join(this.paths.vaultDir, vaultFileName(userId, connectionId));
  }

  /**
   * sophon.db's record of each credential (see VaultIndex). Without one (a vault opened on its own),
   * generations are still written but a rolled-back file cannot be told from a current one.
   */
  useIndex(index: VaultIndex): void {
    this.index = index;
  }

  async get(userId: string, connectionId: string): Promise<StoredCredential | null> {
    // The recorded generation is read before the file: a writer renames its file into place before it
    // records the new generation, so a file read after the record is at least that new unless it was put back.
    const expected = this.index?.generation({ userId, connectionId }) ?? null;
    const opened = await this.open(userId, connectionId);
    if (!opened) return null;
    const generation = opened.meta?.generation ?? 0;
    if (expected !== null) {
      if (generation < expected) {
        this.index!.rolledBack?.({ userId, connectionId });
        throw new SophonError(
          'vault_file_rolled_back',
          `Vault file ${opened.file} is older than the one Sophon last wrote (generation ${generation}, expected ${expected}): an earlier copy was put back. Restore the newer file, or remove the connection and add it again.`,
        );
      }
      // Newer than recorded: a writer stopped between writing the file and recording it. The file is the truth.
      if (generation > expected) this.index!.noteGeneration({ userId, connectionId }, generation);
    }
    return opened.credential;
  }

  /** A credential and what its file says about itself, without comparing it with sophon.db (recovery reads these). */
  async inspect(userId: string, connectionId: string): Promise<{ credential: StoredCredential; meta: VaultMeta | null } | null> {
    const opened = await this.open(userId, connectionId);
    return opened && { credential: opened.credential, meta: opened.meta };
  }

  private async open(userId: string, connectionId: string): Promise<{ file: string; credential: StoredCredential; meta: VaultMeta | null } | null> {
    const file = this.fileFor(userId, connectionId);
    const data = await readSmallFile(file);
    if (data === null) return null;
    // During a key rotation a file may still be sealed with the key being retired.
    const key = await this.keys.keyFor(readKeyId(data));
    const plaintext = decryptVaultFile(file, key, userId, connectionId, data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(plaintext.toString('utf8'));
    } catch {
      throw new VaultFileError(file, 'bad_content', 'decrypted, but does not hold a credential (not JSON).');
    }
    const result = CredentialDataSchema.safeParse(parsed);
    if (!result.success) throw new VaultFileError(file, 'bad_content', 'decrypted, but does not hold a valid credential.');
    const { meta: rawMeta, ...credential } = result.data;
    let meta: VaultMeta | null = null;
    if (rawMeta !== undefined) {
      const m = VaultMetaSchema.safeParse(rawMeta);
      if (!m.success) throw new VaultFileError(file, 'bad_content', 'decrypted, but its metadata is not valid.');
      meta = m.data;
    }
    rememberCredential(credential);
    return { file, credential: credential as StoredCredential, meta };
  }

  /**
   * Every write carries the next generation and the connection's current metadata (from sophon.db, or
   * else as the previous file had it), then tells sophon.db the generation it wrote.
   */
  async put(userId: string, connectionId: string, data: CredentialData): Promise<void> {
    const file = this.fileFor(userId, connectionId);
    const credential = CredentialDataSchema.safeParse(data);
    if (!credential.success) {
      // Field names only: the values are secrets.
      const fields = credential.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new SophonError('invalid_input', `Credential for ${userId}/${connectionId} has invalid fields: ${fields}`);
    }
    const ref = { userId, connectionId };
    rememberCredential(credential.data);
    this.dirReady ??= ensurePrivateDir(this.paths.vaultDir);
    await this.dirReady;
    // With sophon.db watching generations, writers of one credential (app and CLI) take turns: a write
    // that read generation n and landed after another's n+1 would make the newer file look put back.
    const release = this.index ? await lockForWrite(file, connectionId) : undefined;
    try {
      // Asked under the lock: a key rotation re-seals this file under the same lock, so a write never lands after it with the old key.
      const key = await this.keys.get();
      await this.seal(file, key, ref, credential.data);
    } finally {
      await release?.().catch(() => undefined);
    }
  }

  private async seal(file: string, key: MasterKey, ref: CredentialRef, data: StoredCredential): Promise<void> {
    const { userId, connectionId } = ref;
    const recorded = this.index?.generation(ref) ?? 0;
    // The file being replaced may be damaged or put back: its generation only counts when it opens.
    const previous = await this.open(userId, connectionId).catch((err: unknown) => {
      if (isSophonError(err)) return null;
      throw err;
    });
    const meta: VaultMeta = {
      ...(previous?.meta ?? {}),
      ...(this.index?.describe(ref) ?? {}),
      generation: Math.max(recorded, previous?.meta?.generation ?? 0) + 1,
    };
    const { meta: _ignored, ...plain } = data;
    const sealed = encryptVaultFile(key, userId, connectionId, Buffer.from(JSON.stringify({ ...plain, meta }), 'utf8'));
    await atomicWriteFile(file, sealed);
    this.index?.noteGeneration(ref, meta.generation);
  }

  async delete(userId: string, connectionId: string): Promise<boolean> {
    const file = this.fileFor(userId, connectionId);
    try {
      await fsp.unlink(file);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
    await fsyncDir(this.paths.vaultDir);
    return true;
  }

  async list(userId?: string): Promise<CredentialRef[]> {
    const refs: CredentialRef[] = [];
    for (const name of await readDirOrEmpty(this.paths.vaultDir)) {
      const ref = parseVaultFileName(name);
      if (ref && (userId === undefined || ref.userId === userId)) refs.push(ref);
    }
    return refs;
  }

  /**
   * What identifies the stored copy of a credential (its file's inode, size and time), or undefined when
   * there is none: a reader may keep a decrypted credential while this stays the same. Synchronous and a
   * single stat, so it is cheap enough for every request.
   */
  changeStamp(userId: string, connectionId: string): string | undefined {
    const st = statSync(this.fileFor(userId, connectionId), { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : undefined;
  }

  /**
   * Holds one credential exclusively across processes for a read-then-write (a token refresh), with a
   * lock file next to its file that verify knows; a holder that died is taken over at once. Resolves to
   * the release, or null when a live holder kept it for `waitMs`.
   */
  async holdExclusive(ref: CredentialRef, waitMs: number): Promise<(() => Promise<void>) | null> {
    try {
      return await acquireRefreshLock(this.fileFor(ref.userId, ref.connectionId), waitMs);
    } catch (err) {
      if (err instanceof RefreshLockBusyError) return null;
      throw err;
    }
  }

  /** Opens every file; one bad file is reported by name and never hides the others. */
  async verify(): Promise<VerifyReport> {
    const temps = await removeStaleTemps(this.paths.vaultDir);
    const report: VerifyReport = { total: 0, ok: 0, failures: [], strays: [], unlisted: [], tempsRemoved: temps.removed };
    for (const name of await readDirOrEmpty(this.paths.vaultDir)) {
      const ref = parseVaultFileName(name);
      if (!ref) {
        // Sophon's own secrets have their own folder here; they belong to no connection.
        if (name === SYSTEM_DIR_NAME) continue;
        if (await settleRefreshLock(this.paths.vaultDir, name)) continue;
        if (!temps.inFlight.includes(name) && !temps.removed.includes(name)) report.strays.push(name);
        continue;
      }
      report.total++;
      if (this.index && this.index.generation(ref) === null) report.unlisted.push(ref);
      try {
        await this.get(ref.userId, ref.connectionId);
        report.ok++;
      } catch (err) {
        if (!isSophonError(err)) throw err;
        report.failures.push({ ...ref, file: join(this.paths.vaultDir, name), code: err.code, problem: err.message });
      }
    }
    return report;
  }
}

/** Held for one write of one credential; a holder that died is taken over once its lock is 10 s stale. */
async function lockForWrite(file: string, connectionId: string): Promise<() => Promise<void>> {
  const { default: lockfile } = await import('proper-lockfile');
  try {
    // Keyed apart from the refresh lock on the same file (proper-lockfile keeps one lock per target path in a
    // process, and a refresh holds its lock while it writes).
    return await lockfile.lock(`${file}.write`, {
      realpath: false,
      lockfilePath: `${file}.write.lock`,
      stale: 10_000,
      update: 2_000,
      retries: { retries: 200, minTimeout: 5, maxTimeout: 100, factor: 1.3 },
      // The write itself is atomic; a lock lost to a long pause costs at most a false rollback report.
      onCompromised: () => undefined,
    });
  } catch {
    throw new SophonError('internal', `Another Sophon process has been writing the credential of connection ${connectionId} for too long; try again.`);
  }
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
}
