import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { isSophonError } from '../../../electron/core/errors';
import { FileKeyProtector } from '../../../electron/core/keys/file-protector';
import { openVault } from '../../../electron/core/vault/open-vault';
import { tempHome } from '../../helpers/home';

describe('the key file protector and file permissions', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const mode = async (p: string) => (await stat(p)).mode & 0o777;

  test('key file 0600, vault files 0600, folders 0700, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const { vault } = await openVault({ home });
      await vault.put('default', 'a-1', { apiKey: 'k' });
    } finally {
      process.umask(old);
    }
    assert.equal(await mode(join(home, 'security', 'vault.key')), 0o600);
    assert.equal(await mode(join(home, 'security', 'keyinfo.json')), 0o600);
    assert.equal(await mode(join(home, 'vault', 'default_a-1.vault')), 0o600);
    assert.equal(await mode(join(home, 'security')), 0o700);
    assert.equal(await mode(join(home, 'vault')), 0o700);
  });

  test('a key file others can read is reported; a damaged one is refused by name', async () => {
    const file = join(home, 'security', 'vault.key');
    const protector = new FileKeyProtector(file);
    assert.equal(await protector.permissionProblem(), null);
    await chmod(file, 0o644);
    assert.match((await protector.permissionProblem()) ?? '', /readable by other users \(mode 644\); run chmod 600/);
    await chmod(file, 0o600);
    const saved = await readFile(file);
    await writeFile(file, '{"format":1,"keyId":"0000000000000000","key":"AAAA"}');
    const { vault } = await openVault({ home });
    await assert.rejects(vault.get('default', 'a-1'), (err: unknown) => isSophonError(err, 'vault_key_mismatch') && err.message.includes(file) && !err.message.includes('AAAA'));
    await writeFile(file, saved);
    assert.equal((await (await openVault({ home })).vault.get('default', 'a-1'))?.apiKey, 'k');
  });

  test('settings choosing a protector other than the one that made the key: named, not silently switched', async () => {
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'keychain' } } }));
    const { vault } = await openVault({ home });
    await assert.rejects(vault.get('default', 'a-1'), /kept by the "file" protector, but Sophon\.Vault\.KeyProtector is "keychain"/);
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'usb-stick' } } }));
    await assert.rejects(openVault({ home }), /Sophon\.Vault\.KeyProtector: "usb-stick" is not a key protector; choose one of: keychain, file, pkcs11/);
  });
});
