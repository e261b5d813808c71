import { promises as fsp } from 'node:fs';
import { z } from 'zod';
import { errnoOf, SophonError } from '../errors';
import { createFileExclusive, ensurePrivateDir } from '../fs/secure-fs';
import { parseJsonText } from '../validation/parse';
import { keyIdOf, MASTER_KEY_BYTES, type KeyProtector } from './key-protector';
import { dirname } from 'node:path';

const KeyFileSchema = z.object({ format: z.literal(1), keyId: z.string(), key: z.string() });

/**
 * The explicit fallback where no OS keychain is wanted or available: the key in a 0600 file in a 0700
 * folder. Only as safe as the account's file permissions, so it is used only when configured.
 */
export class FileKeyProtector implements KeyProtector {
  readonly kind = 'file' as const;

  constructor(private readonly file: string) {}

  location(): string {
    return `key file ${this.file}`;
  }

  async load(keyId: string): Promise<Buffer | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw new SophonError('vault_key_missing', `Cannot read the key file ${this.file} (${errnoOf(err) ?? 'error'}).`, { cause: err });
    }
    let parsed: z.infer<typeof KeyFileSchema>;
    try {
      parsed = KeyFileSchema.parse(parseJsonText(text, `Key file ${this.file}`));
    } catch {
      throw new SophonError('vault_key_mismatch', `The key file ${this.file} is damaged: it is not a Sophon key file.`);
    }
    const key = Buffer.from(parsed.key, 'base64');
    if (key.length !== MASTER_KEY_BYTES || keyIdOf(key) !== parsed.keyId) {
      throw new SophonError('vault_key_mismatch', `The key file ${this.file} is damaged: its key does not match its id.`);
    }
    if (parsed.keyId !== keyId) {
      throw new SophonError('vault_key_mismatch', `The key file ${this.file} holds key ${parsed.keyId}, but the vault needs key ${keyId}.`);
    }
    return key;
  }

  async probe(): Promise<void> {
    try {
      await fsp.stat(this.file);
    } catch (err) {
      // A missing file is an empty store; anything else (EACCES, ENOTDIR) means it cannot be used.
      if (errnoOf(err) !== 'ENOENT') throw new SophonError('vault_key_missing', `Cannot read the key file ${this.file} (${errnoOf(err) ?? 'error'}).`, { cause: err });
    }
  }

  async store(keyId: string, key: Buffer): Promise<boolean> {
    await ensurePrivateDir(dirname(this.file));
    return createFileExclusive(this.file, JSON.stringify({ format: 1, keyId, key: key.toString('base64') }) + '\n');
  }

  async remove(): Promise<void> {
    await fsp.unlink(this.file).catch((err: unknown) => {
      if (errnoOf(err) !== 'ENOENT') throw err;
    });
  }

  /** A key file others can read is a problem to report, not a reason to refuse the person's own data. */
  async permissionProblem(): Promise<string | null> {
    if (process.platform === 'win32') return null;
    try {
      const mode = (await fsp.stat(this.file)).mode & 0o777;
      return mode & 0o077 ? `The key file ${this.file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it.` : null;
    } catch {
      return null;
    }
  }
}
