import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { errnoOf, SophonError } from '../errors';
import { createFileExclusive, ensurePrivateDir } from '../fs/secure-fs';
import { parseJsonText } from '../validation/parse';
import { keyIdOf, MASTER_KEY_BYTES, type KeyProtector } from './key-protector';
import { loadKeytar } from './keychain-protector';
import type { KeyProtectorContext } from './registry';

type Pkcs11Lib = typeof import('pkcs11js');
type Pkcs11 = InstanceType<Pkcs11Lib['PKCS11']>;
type Handle = Buffer;

let pkcs11Module: Promise<Pkcs11Lib> | undefined;

/** pkcs11js is native: loaded only when this protector touches a token, so other commands start without it. */
function loadPkcs11js(): Promise<Pkcs11Lib> {
  pkcs11Module ??= import('pkcs11js').then((m) => ((m as { default?: Pkcs11Lib }).default ?? m) as Pkcs11Lib);
  return pkcs11Module;
}

/**
 * `Sophon.Vault.Pkcs11`: which module to load, which token (by label) and which key on it (by label).
 * Part of the one settings schema (config/settings.ts) through this protector's registration.
 */
export const Pkcs11SettingsSchema = z.looseObject({
  Module: z.string().min(1).max(4096).optional(),
  Token: z.string().min(1).max(32).optional(),
  KeyLabel: z.string().min(1).max(200).default('sophon-vault-wrap'),
});

/** `security/pkcs11-key.json`: the master key encrypted on the token (AES-256-GCM). Useless without the token. */
const WrappedKeySchema = z.object({
  format: z.literal(1),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  token: z.string(),
  keyLabel: z.string(),
  mechanism: z.literal('CKM_AES_GCM'),
  iv: z.string(),
  data: z.string(),
});
type WrappedKey = z.infer<typeof WrappedKeySchema>;

export const PKCS11_KEY_FILE = 'pkcs11-key.json';
const GCM_IV_BYTES = 12;
const GCM_TAG_BITS = 128;

interface Pin {
  value: string;
  /** A stored PIN is tried by every process without a person watching, so it must never be retried blindly. */
  from: 'keychain' | 'prompt';
}

/**
 * Keeps the master key wrapped by an AES key that never leaves a PKCS#11 token (HSM, smart card,
 * YubiKey PIV): the token encrypts and decrypts it, and only the wrapped form is on disk. The PIN
 * comes from the OS keychain or a terminal prompt, never argv or the environment.
 */
export class Pkcs11Protector implements KeyProtector {
  readonly kind = 'pkcs11' as const;
  private readonly wrappedFile: string;

  constructor(
    private readonly module: string,
    private readonly token: string,
    private readonly keyLabel: string,
    securityDir: string,
    private readonly keychainService: string,
    private readonly settingsFile: string,
    private readonly askSecret?: (question: string) => Promise<string | undefined>,
  ) {
    this.wrappedFile = join(securityDir, PKCS11_KEY_FILE);
  }

  static fromSettings({ paths, settings, askSecret }: KeyProtectorContext): Pkcs11Protector {
    const file = paths.settingsFile;
    const parsed = Pkcs11SettingsSchema.safeParse(settings.Sophon.Vault.Pkcs11 ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SophonError('settings_invalid', `Sophon.Vault.Pkcs11${issue?.path.length ? '.' + issue.path.join('.') : ''} in ${file} is not valid: ${issue?.message ?? 'wrong shape'}.`);
    }
    const { Module: module, Token: token, KeyLabel: keyLabel } = parsed.data;
    if (!module) {
      throw new SophonError(
        'settings_invalid',
        `Sophon.Vault.KeyProtector is "pkcs11" but Sophon.Vault.Pkcs11.Module is not set in ${file}: set it to the absolute path of your token's PKCS#11 module (for SoftHSM on Debian /usr/lib/softhsm/libsofthsm2.so).`,
      );
    }
    // A bare name would be searched for along the library path: the module runs inside Sophon, so it is named exactly.
    if (!isAbsolute(module)) throw new SophonError('settings_invalid', `Sophon.Vault.Pkcs11.Module in ${file} must be an absolute path, not ${JSON.stringify(module)}.`);
    if (!token) {
      throw new SophonError('settings_invalid', `Sophon.Vault.KeyProtector is "pkcs11" but Sophon.Vault.Pkcs11.Token (the token's label) is not set in ${file}.`);
    }
    return new Pkcs11Protector(module, token, keyLabel, paths.securityDir, settings.Sophon.Vault.KeychainService, file, askSecret);
  }

  /** The keychain item that may hold the token's PIN (set by `sophon vault pkcs11-pin`). */
  pinLocation(): { service: string; account: string } {
    return { service: this.keychainService, account: `pkcs11-pin:${this.token}` };
  }

  location(): string {
    return `PKCS#11 token "${this.token}" (module ${this.module}), key "${this.keyLabel}"; wrapped key in ${this.wrappedFile}`;
  }

  restoreAdvice(): string {
    return `put ${this.wrappedFile} back from your backup of the data folder (it opens only with the key "${this.keyLabel}" on token "${this.token}")`;
  }

  async probe(): Promise<void> {
    const lib = await loadPkcs11js();
    this.withToken(lib, null, () => undefined);
  }

  async load(keyId: string): Promise<Buffer | null> {
    const wrapped = await this.readWrapped();
    if (wrapped === null) return null;
    if (wrapped.keyId !== keyId) {
      throw new SophonError('vault_key_mismatch', `${this.wrappedFile} holds key ${wrapped.keyId}, but the vault needs key ${keyId}.`);
    }
    const lib = await loadPkcs11js();
    const pin = await this.pinForPresentToken(lib);
    const key = await this.guardPin(pin, () =>
      this.withToken(lib, pin, (p, session) => {
        const handle = this.findKey(lib, p, session);
        if (handle === null) {
          throw new SophonError(
            'vault_key_missing',
            `Token "${this.token}" has no key labelled "${this.keyLabel}", so the vault key ${keyId} in ${this.wrappedFile} cannot be unwrapped. ` +
              'Use the token (or a backup of it) that holds that key, or fix Sophon.Vault.Pkcs11.KeyLabel in ' + this.settingsFile + '.',
          );
        }
        try {
          p.C_DecryptInit(session, this.mechanism(lib, Buffer.from(wrapped.iv, 'base64'), keyId), handle);
          return p.C_Decrypt(session, Buffer.from(wrapped.data, 'base64'), Buffer.alloc(MASTER_KEY_BYTES + 64));
        } catch (err) {
          throw new SophonError(
            'vault_key_mismatch',
            `The key "${this.keyLabel}" on token "${this.token}" does not open ${this.wrappedFile} (${pkcs11Reason(err)}): it is not the key the vault key was wrapped with.`,
          );
        }
      }),
    );
    if (key.length !== MASTER_KEY_BYTES || keyIdOf(key) !== keyId) {
      throw new SophonError('vault_key_mismatch', `${this.wrappedFile} unwrapped to a key that is not vault key ${keyId}: the file was changed outside Sophon.`);
    }
    return Buffer.from(key);
  }

  async store(keyId: string, key: Buffer): Promise<boolean> {
    if ((await this.readWrapped()) !== null) return false;
    const lib = await loadPkcs11js();
    const pin = await this.pinForPresentToken(lib);
    const iv = randomBytes(GCM_IV_BYTES);
    const data = await this.guardPin(pin, () =>
      this.withToken(lib, pin, (p, session) => {
        const handle = this.findKey(lib, p, session) ?? this.generateKey(lib, p, session);
        p.C_EncryptInit(session, this.mechanism(lib, iv, keyId), handle);
        return Buffer.from(p.C_Encrypt(session, key, Buffer.alloc(key.length + 64)));
      }),
    );
    const wrapped: WrappedKey = { format: 1, keyId, token: this.token, keyLabel: this.keyLabel, mechanism: 'CKM_AES_GCM', iv: iv.toString('base64'), data: data.toString('base64') };
    await ensurePrivateDir(join(this.wrappedFile, '..'));
    return createFileExclusive(this.wrappedFile, JSON.stringify(wrapped, null, 2) + '\n');
  }

  /** Removes only the wrapped copy: the token's key may protect other things and is the person's to delete. */
  async remove(): Promise<void> {
    await fsp.unlink(this.wrappedFile).catch((err: unknown) => {
      if (errnoOf(err) !== 'ENOENT') throw err;
    });
  }

  /** Checks the PIN with one login, then keeps it in the OS keychain; a refused PIN is not kept. */
  async savePin(pin: string): Promise<void> {
    const lib = await loadPkcs11js();
    await this.guardPin({ value: pin, from: 'prompt' }, () => this.withToken(lib, { value: pin, from: 'prompt' }, () => undefined));
    const keytar = await loadKeytar();
    const { service, account } = this.pinLocation();
    try {
      await keytar.setPassword(service, account, pin);
    } catch (err) {
      throw new SophonError('keychain_unavailable', `The OS keychain is not available to keep the PIN: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
    }
  }

  private mechanism(lib: Pkcs11Lib, iv: Buffer, keyId: string) {
    // The AAD binds the wrapped bytes to their key id: a blob swapped in from another vault does not open.
    const aad = Buffer.from(`sophon vault key v1:${keyId}`);
    return { mechanism: lib.CKM_AES_GCM, parameter: { type: lib.CK_PARAMS_AES_GCM, iv, aad, ivBits: GCM_IV_BYTES * 8, tagBits: GCM_TAG_BITS } };
  }

  private async readWrapped(): Promise<WrappedKey | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.wrappedFile, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw new SophonError('vault_key_missing', `Cannot read ${this.wrappedFile} (${errnoOf(err) ?? 'error'}).`, { cause: err });
    }
    const parsed = WrappedKeySchema.safeParse((() => {
      try {
        return parseJsonText(text, this.wrappedFile);
      } catch {
        return null;
      }
    })());
    if (!parsed.success) throw new SophonError('vault_key_mismatch', `${this.wrappedFile} is damaged: it is not a Sophon wrapped key file.`);
    return parsed.data;
  }

  /** A missing module or token is reported before anyone is asked for a PIN it could not use. */
  private async pinForPresentToken(lib: Pkcs11Lib): Promise<Pin> {
    this.withToken(lib, null, () => undefined);
    return this.pin();
  }

  private async pin(): Promise<Pin> {
    const { service, account } = this.pinLocation();
    let stored: string | null = null;
    let keychainProblem = '';
    try {
      stored = await (await loadKeytar()).getPassword(service, account);
    } catch (err) {
      keychainProblem = ` (the OS keychain did not answer: ${err instanceof Error ? err.message : String(err)})`;
    }
    if (stored) return { value: stored, from: 'keychain' };
    const typed = await this.askSecret?.(`PIN for PKCS#11 token "${this.token}"`);
    if (typed) return { value: typed, from: 'prompt' };
    throw new SophonError(
      'key_protector_unavailable',
      `The PIN of PKCS#11 token "${this.token}" is needed and none is stored in the OS keychain (service "${service}", account "${account}")${keychainProblem}. ` +
        'Store it with `sophon vault pkcs11-pin`, or run the command in a terminal to be asked for it.',
    );
  }

  /** A stored PIN the token refused is removed, so the next process does not spend another of the token's tries on it. */
  private async guardPin<T>(pin: Pin, run: () => T): Promise<T> {
    try {
      return run();
    } catch (err) {
      if (err instanceof SophonError && err.code === 'key_pin_incorrect' && pin.from === 'keychain') {
        const { service, account } = this.pinLocation();
        await (await loadKeytar()).deletePassword(service, account).catch(() => false);
        throw new SophonError('key_pin_incorrect', `${err.message} It was the PIN stored in the OS keychain (service "${service}", account "${account}"); Sophon removed it so it is not tried again. Store the right one with \`sophon vault pkcs11-pin\`.`);
      }
      throw err;
    }
  }

  /**
   * Loads the module, finds the token by label, logs in when a PIN is given, runs `use`, and always
   * finalizes. All synchronous, so no other work in this process interleaves with the session.
   */
  private withToken<T>(lib: Pkcs11Lib, pin: Pin | null, use: (p: Pkcs11, session: Handle) => T): T {
    const p = new lib.PKCS11();
    try {
      p.load(this.module);
    } catch (err) {
      throw new SophonError(
        'key_protector_unavailable',
        `Cannot load the PKCS#11 module ${this.module} (Sophon.Vault.Pkcs11.Module in ${this.settingsFile}): ${pkcs11Reason(err)}. Install the token's driver or fix the path.`,
        { cause: err },
      );
    }
    try {
      p.C_Initialize();
    } catch (err) {
      p.close();
      throw new SophonError('key_protector_unavailable', `The PKCS#11 module ${this.module} did not start: ${pkcs11Reason(err)}.`, { cause: err });
    }
    try {
      const present: string[] = [];
      let slot: Handle | undefined;
      let flags = 0;
      for (const s of p.C_GetSlotList(true)) {
        const info = p.C_GetTokenInfo(s);
        const label = info.label.trimEnd();
        present.push(JSON.stringify(label));
        if (label === this.token && slot === undefined) {
          slot = s;
          flags = info.flags;
        }
      }
      if (slot === undefined) {
        throw new SophonError(
          'key_protector_unavailable',
          `No PKCS#11 token labelled "${this.token}" is present (module ${this.module}; tokens present: ${present.join(', ') || 'none'}). ` +
            `Insert the token, or fix Sophon.Vault.Pkcs11.Token in ${this.settingsFile}.`,
        );
      }
      const session = p.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
      if (pin) this.login(lib, p, session, flags, pin);
      return use(p, session);
    } finally {
      try {
        p.C_Finalize();
      } finally {
        p.close();
      }
    }
  }

  private login(lib: Pkcs11Lib, p: Pkcs11, session: Handle, flags: number, pin: Pin): void {
    if (flags & lib.CKF_USER_PIN_LOCKED) {
      throw new SophonError('key_pin_incorrect', `The user PIN of PKCS#11 token "${this.token}" is locked. Unblock it with the token's own tools (security officer PIN or PUK), then try again.`);
    }
    // One try left: only a person typing the PIN may spend it, never a stored PIN that may be stale.
    if (flags & lib.CKF_USER_PIN_FINAL_TRY && pin.from === 'keychain') {
      throw new SophonError('key_pin_incorrect', `PKCS#11 token "${this.token}" has one PIN try left, so Sophon will not try the stored PIN. Run the command in a terminal and type the PIN.`);
    }
    try {
      p.C_Login(session, lib.CKU_USER, pin.value);
    } catch (err) {
      const code = pkcs11Code(err);
      if (code === lib.CKR_USER_ALREADY_LOGGED_IN) return;
      if (code === lib.CKR_PIN_INCORRECT || code === lib.CKR_PIN_LEN_RANGE || code === lib.CKR_PIN_INVALID) {
        throw new SophonError('key_pin_incorrect', `PKCS#11 token "${this.token}" refused the PIN (${pkcs11Reason(err)}); Sophon did not try again.`);
      }
      if (code === lib.CKR_PIN_LOCKED) {
        throw new SophonError('key_pin_incorrect', `The user PIN of PKCS#11 token "${this.token}" is locked. Unblock it with the token's own tools, then try again.`);
      }
      throw new SophonError('key_protector_unavailable', `Cannot log in to PKCS#11 token "${this.token}": ${pkcs11Reason(err)}.`, { cause: err });
    }
  }

  private findKey(lib: Pkcs11Lib, p: Pkcs11, session: Handle): Handle | null {
    p.C_FindObjectsInit(session, [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_LABEL, value: this.keyLabel },
    ]);
    let found: Handle[];
    try {
      found = p.C_FindObjects(session, 2);
    } finally {
      p.C_FindObjectsFinal(session);
    }
    if (found.length > 1) {
      throw new SophonError('vault_key_mismatch', `Token "${this.token}" has more than one secret key labelled "${this.keyLabel}"; Sophon will not guess. Give the right one a label of its own and set Sophon.Vault.Pkcs11.KeyLabel.`);
    }
    return found[0] ?? null;
  }

  /** AES-256, kept on the token, never readable or exportable: it can only encrypt and decrypt there. */
  private generateKey(lib: Pkcs11Lib, p: Pkcs11, session: Handle): Handle {
    try {
      return p.C_GenerateKey(session, { mechanism: lib.CKM_AES_KEY_GEN }, [
        { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
        { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
        { type: lib.CKA_VALUE_LEN, value: 32 },
        { type: lib.CKA_LABEL, value: this.keyLabel },
        { type: lib.CKA_TOKEN, value: true },
        { type: lib.CKA_PRIVATE, value: true },
        { type: lib.CKA_SENSITIVE, value: true },
        { type: lib.CKA_EXTRACTABLE, value: false },
        { type: lib.CKA_ENCRYPT, value: true },
        { type: lib.CKA_DECRYPT, value: true },
      ]);
    } catch (err) {
      throw new SophonError('key_protector_unavailable', `Token "${this.token}" could not create the AES key "${this.keyLabel}": ${pkcs11Reason(err)}.`, { cause: err });
    }
  }
}

function pkcs11Code(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined;
}

/** The module's own words (a CKR_ name or a loader message); they carry no PIN or key material. */
function pkcs11Reason(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}
