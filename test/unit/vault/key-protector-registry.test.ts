import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { sophonPaths } from '../../../electron/core/config/paths';
import { loadSettings } from '../../../electron/core/config/settings';
import { isSophonError } from '../../../electron/core/errors';
import { KEY_PROTECTOR_KINDS } from '../../../electron/core/keys/registry';
import { createKeyProtector, openVault } from '../../../electron/core/vault/open-vault';
import { sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

const extra: Record<string, object> = { pkcs11: { Pkcs11: { Module: '/usr/lib/softhsm/libsofthsm2.so', Token: 't' } } };

describe('the key protector registry drives the kinds, the settings and the help', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const settingsFile = join(home, 'config', 'appsettings.json');
  const setKind = (kind: string) => writeFile(settingsFile, JSON.stringify({ Sophon: { Vault: { KeyProtector: kind, ...extra[kind] } } }));

  test('every registered kind is accepted by the settings and builds a protector of that kind', async () => {
    assert.deepEqual(KEY_PROTECTOR_KINDS, ['keychain', 'file', 'pkcs11']);
    for (const kind of KEY_PROTECTOR_KINDS) {
      await setKind(kind);
      const settings = await loadSettings(settingsFile, {});
      assert.equal(settings.Sophon.Vault.KeyProtector, kind);
      assert.equal(createKeyProtector(sophonPaths(home), settings).kind, kind);
    }
  });

  test('an unknown kind is a settings error that names it and lists every registered kind', async () => {
    await setKind('usb-stick');
    await assert.rejects(loadSettings(settingsFile, {}), (err: unknown) => {
      assert.ok(isSophonError(err, 'settings_invalid'), String(err));
      assert.match(err.message, /Sophon\.Vault\.KeyProtector: "usb-stick" is not a key protector; choose one of: /);
      for (const kind of KEY_PROTECTOR_KINDS) assert.ok(err.message.includes(kind), `${kind} listed in: ${err.message}`);
      return true;
    });
  });

  test('keyinfo.json naming an unregistered protector is refused, not trusted', async () => {
    await setKind('file');
    await mkdir(join(home, 'security'), { recursive: true });
    await writeFile(join(home, 'security', 'keyinfo.json'), JSON.stringify({ format: 1, keyId: '0123456789abcdef', protector: 'usb-stick', createdAt: '2026-01-01T00:00:00Z' }));
    const { keys } = await openVault({ home });
    await assert.rejects(keys.get(), /protector: not a key protector; one of: keychain, file, pkcs11/);
  });

  test('sophon vault --help lists every registered kind with what it is', async () => {
    const r = await sophon(['vault', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const kind of KEY_PROTECTOR_KINDS) assert.match(r.stdout, new RegExp(`^ +${kind}: \\S`, 'm'));
  });
});
