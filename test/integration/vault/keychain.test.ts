import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { isSophonError } from '../../../electron/core/errors';
import { openVault } from '../../../electron/core/vault/open-vault';
import { vaultChild } from '../../helpers/child';
import { tempHome } from '../../helpers/home';

type Keytar = typeof import('keytar');
const keytar = createRequire(import.meta.url)('keytar') as Keytar;

// Real keytar against the real Secret Service (gnome-keyring over D-Bus), under a service name of the
// test's own, so a person's real Sophon key is never read or written.
const SERVICE = `sophon-test-${randomBytes(6).toString('hex')}`;
const keychain = { Sophon: { Vault: { KeyProtector: 'keychain' } } };
const env = { ...process.env, SOPHON_KEYCHAIN_SERVICE: SERVICE };

describe('the master key in the OS keychain (keytar ↔ gnome-keyring)', async () => {
  const { home, cleanup } = await tempHome(keychain);
  let realSophonItems: string[];
  beforeAll(async () => {
    realSophonItems = (await keytar.findCredentials('Sophon')).map((c) => c.account);
  });
  afterAll(async () => {
    for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
    assert.deepEqual((await keytar.findCredentials('Sophon')).map((c) => c.account), realSophonItems, 'the default service was never touched');
    await cleanup();
  });

  test('the first write creates the key in the keychain, nowhere on disk; another process opens it', async () => {
    const { vault, keys } = await openVault({ home, env });
    await vault.put('default', 'github-1', { accessToken: 'kc-token' });
    const id = (await keys.get()).id;
    const items = await keytar.findCredentials(SERVICE);
    assert.deepEqual(items.map((i) => i.account), [`vault-master-key:${id}`]);
    assert.deepEqual((await readdir(`${home}/security`)).sort(), ['keyinfo.json']);
    const child = await vaultChild(['open', home], env).done;
    assert.equal(child.stdout.trim(), id, child.stderr);
    const again = await openVault({ home, env });
    assert.equal((await again.vault.get('default', 'github-1'))?.accessToken, 'kc-token');
  });

  test('the key deleted from the keychain: vault_key_missing naming it, and no new key is made', async () => {
    const [item] = await keytar.findCredentials(SERVICE);
    await keytar.deletePassword(SERVICE, item!.account);
    const { vault } = await openVault({ home, env });
    await assert.rejects(vault.get('default', 'github-1'), (err: unknown) => {
      assert.ok(isSophonError(err, 'vault_key_missing'), String(err));
      assert.ok(err.message.includes(item!.account.split(':')[1]!) && err.message.includes(`service "${SERVICE}"`), err.message);
      assert.match(err.message, /1 credential file\(s\).*will not create a new key/);
      return true;
    });
    await assert.rejects(vault.put('default', 'github-2', { accessToken: 'x' }), (err: unknown) => isSophonError(err, 'vault_key_missing'));
    assert.deepEqual(await keytar.findCredentials(SERVICE), [], 'no key was created over the existing data');
    await keytar.setPassword(SERVICE, item!.account, item!.password);
    assert.equal((await (await openVault({ home, env })).vault.get('default', 'github-1'))?.accessToken, 'kc-token');
  });

  test('a keychain item holding another key is refused, not trusted', async () => {
    const [item] = await keytar.findCredentials(SERVICE);
    await keytar.setPassword(SERVICE, item!.account, randomBytes(32).toString('base64'));
    const { vault } = await openVault({ home, env });
    await assert.rejects(vault.get('default', 'github-1'), (err: unknown) => isSophonError(err, 'vault_key_mismatch'));
    await keytar.setPassword(SERVICE, item!.account, item!.password);
  });

  test('no Secret Service: keychain_unavailable, says how to choose the file protector, creates nothing', async () => {
    const other = await tempHome(keychain);
    const r = await vaultChild(['open', other.home], { ...env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' }).done;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /OS keychain .* is not available.*Sophon\.Vault\.KeyProtector to "file"/s);
    assert.deepEqual(await readdir(other.home), ['config']);
    await other.cleanup();
  });
});
