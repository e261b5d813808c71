import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SophonPaths } from '../config/paths';
import { errnoOf, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir, fsyncDir, readSmallFile } from '../fs/secure-fs';
import type { MasterKey } from '../keys/key-protector';
import { rememberSecret } from '../log/known-secrets';
import { decryptVaultFile, encryptVaultFile, readKeyId, VaultFileError } from './format';

/**
 * Secrets Sophon holds for itself rather than for a person's connection (today: OAuth client secrets).
 * They live in their own folder, `vault/system/`, so nothing that lists, reconciles or verifies
 * connections' files (`vault/{user}_{connection}.vault`) ever sees one as an unlisted credential or an
 * orphan to delete; and they are sealed like every vault file (same key, same format) but bound to the
 * identity "_system", which is not a valid user id, so a system file copied among the connection files
 * (or the reverse) does not open.
 */
export const SYSTEM_DIR_NAME = 'system';
const SYSTEM_USER = '_system';
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,99}$/;

const SystemSecretSchema = z.strictObject({ value: z.string().min(1) });

/** The key to seal with, or (given the key id in a file's header) the key that opens that file. */
export type KeySource = (keyId?: string | null) => Promise<MasterKey>;

export function systemDir(paths: SophonPaths): string {
  return join(paths.vaultDir, SYSTEM_DIR_NAME);
}

/** The record an OAuth client secret is kept under: one per service. */
export function oauthClientSecretName(serviceId: string): string {
  return `oauth-client-${serviceId}`;
}

/** A client secret from the distribution file, copied here on first use. */
export function distributionSecretName(serviceId: string): string {
  return `oauth-dist-secret-${serviceId}`;
}

/** The client secret a server issued when Sophon registered itself (RFC 7591), if it issued one. */
export function registeredSecretName(serviceId: string): string {
  return `oauth-registered-secret-${serviceId}`;
}

/** The RFC 7592 registration access token that lets Sophon read or delete its registration. */
export function registrationTokenName(serviceId: string): string {
  return `oauth-registration-token-${serviceId}`;
}

export class SystemSecrets {
  private dirReady: Promise<void> | undefined;

  constructor(
    private readonly paths: SophonPaths,
    private readonly key: KeySource,
  ) {}

  fileFor(name: string): string {
    if (!NAME_RE.test(name)) throw new SophonError('internal', `Invalid system secret name ${JSON.stringify(name.slice(0, 80))}.`);
    return join(systemDir(this.paths), `${name}.vault`);
  }

  async get(name: string): Promise<string | null> {
    const file = this.fileFor(name);
    const data = await readSmallFile(file);
    if (data === null) return null;
    const plaintext = decryptVaultFile(file, await this.key(readKeyId(data)), SYSTEM_USER, name, data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(plaintext.toString('utf8'));
    } catch {
      throw new VaultFileError(file, 'bad_content', 'decrypted, but does not hold a secret (not JSON).');
    }
    const result = SystemSecretSchema.safeParse(parsed);
    if (!result.success) throw new VaultFileError(file, 'bad_content', 'decrypted, but does not hold a valid secret.');
    rememberSecret(result.data.value);
    return result.data.value;
  }

  async put(name: string, value: string): Promise<void> {
    const file = this.fileFor(name);
    rememberSecret(value);
    this.dirReady ??= ensurePrivateDir(this.paths.vaultDir).then(() => ensurePrivateDir(systemDir(this.paths)));
    await this.dirReady;
    // The same per-file lock as a credential's: a key rotation re-seals this file under it, so neither write is lost.
    const { default: lockfile } = await import('proper-lockfile');
    const release = await lockfile
      .lock(`${file}.write`, { realpath: false, lockfilePath: `${file}.write.lock`, stale: 10_000, update: 2_000, retries: { retries: 200, minTimeout: 5, maxTimeout: 100, factor: 1.3 }, onCompromised: () => undefined })
      .catch(() => {
        throw new SophonError('internal', `Another Sophon process has been writing the system secret ${name} for too long; try again.`);
      });
    try {
      const key = await this.key();
      await atomicWriteFile(file, encryptVaultFile(key, SYSTEM_USER, name, Buffer.from(JSON.stringify({ value }), 'utf8')));
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** The sealed bytes of a secret and the file they belong in, for a writer that places them itself (restore). */
  sealed(name: string, value: string, key: MasterKey): { file: string; data: Buffer } {
    const file = this.fileFor(name);
    return { file, data: encryptVaultFile(key, SYSTEM_USER, name, Buffer.from(JSON.stringify({ value }), 'utf8')) };
  }

  async delete(name: string): Promise<boolean> {
    const file = this.fileFor(name);
    try {
      await fsp.unlink(file);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
    await fsyncDir(systemDir(this.paths));
    return true;
  }

  /** Every system secret file's name (without `.vault`): for the key store, which must count them. */
  static async fileNames(paths: SophonPaths): Promise<string[]> {
    try {
      return (await fsp.readdir(systemDir(paths))).filter((n) => n.endsWith('.vault') && NAME_RE.test(n.slice(0, -'.vault'.length)));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return [];
      throw err;
    }
  }
}
