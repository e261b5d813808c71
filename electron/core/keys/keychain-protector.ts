import { SophonError } from '../errors';
import { keyIdOf, type KeyProtector } from './key-protector';

type Keytar = typeof import('keytar');

let keytarModule: Promise<Keytar> | undefined;

/** keytar is a native module: loaded only by commands that touch the key, so the rest of the CLI starts fast. */
export function loadKeytar(): Promise<Keytar> {
  keytarModule ??= import('keytar').then((m) => ((m as { default?: Keytar }).default ?? m) as Keytar);
  return keytarModule;
}

const OS_STORE: Record<string, string> = {
  darwin: 'macOS Keychain',
  win32: 'Windows Credential Manager',
  linux: 'Secret Service (libsecret)',
};

/** The master key in the OS keychain through keytar: Keychain, Credential Manager (DPAPI), or libsecret. */
export class KeychainProtector implements KeyProtector {
  readonly kind = 'keychain' as const;

  constructor(
    private readonly service: string,
    private readonly settingsFile: string,
  ) {}

  private account(keyId: string): string {
    return `vault-master-key:${keyId}`;
  }

  location(keyId: string): string {
    const store = OS_STORE[process.platform] ?? 'OS keychain';
    return `${store}, service "${this.service}", account "${this.account(keyId)}"`;
  }

  private unavailable(err: unknown): SophonError {
    const reason = err instanceof Error ? err.message : String(err);
    const store = OS_STORE[process.platform] ?? 'OS keychain';
    return new SophonError(
      'keychain_unavailable',
      `The OS keychain (${store}) is not available: ${reason}. ` +
        (process.platform === 'linux'
          ? 'Start and unlock a Secret Service keyring (for example gnome-keyring in a D-Bus session), '
          : 'Unlock your keychain, ') +
        `or choose the key file instead by setting Sophon.Vault.KeyProtector to "file" in ${this.settingsFile}.`,
      { cause: err },
    );
  }

  async load(keyId: string): Promise<Buffer | null> {
    const keytar = await loadKeytar();
    let value: string | null;
    try {
      value = await keytar.getPassword(this.service, this.account(keyId));
    } catch (err) {
      throw this.unavailable(err);
    }
    if (value === null) return null;
    const key = Buffer.from(value, 'base64');
    if (keyIdOf(key) !== keyId) {
      throw new SophonError(
        'vault_key_mismatch',
        `The keychain item (${this.location(keyId)}) does not hold key ${keyId}: it was changed outside Sophon.`,
      );
    }
    return key;
  }

  async probe(): Promise<void> {
    const keytar = await loadKeytar();
    try {
      await keytar.getPassword(this.service, 'vault-probe');
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async store(keyId: string, key: Buffer): Promise<boolean> {
    const keytar = await loadKeytar();
    try {
      if ((await keytar.getPassword(this.service, this.account(keyId))) !== null) return false;
      await keytar.setPassword(this.service, this.account(keyId), key.toString('base64'));
    } catch (err) {
      throw this.unavailable(err);
    }
    return true;
  }

  async remove(keyId: string): Promise<void> {
    const keytar = await loadKeytar();
    try {
      await keytar.deletePassword(this.service, this.account(keyId));
    } catch (err) {
      throw this.unavailable(err);
    }
  }
}
