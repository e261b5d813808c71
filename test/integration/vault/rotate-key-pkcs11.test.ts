import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { readKeyId } from '../../../electron/core/vault/format';
import { openVault } from '../../../electron/core/vault/open-vault';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

type Keytar = typeof import('keytar');
const keytar = createRequire(import.meta.url)('keytar') as Keytar;

// A real PKCS#11 token (SoftHSM 2) in a token folder of this test's own; its throwaway PINs go to
// softhsm2-util's argv and to the test keychain service, never to Sophon's argv.
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'sophon-rotate';
const PIN = '246810';
const SO_PIN = '13579135';
const SERVICE = `sophon-test-${randomBytes(6).toString('hex')}`;

describe('vault rotate-key to and from a PKCS#11 token (SoftHSM 2)', async () => {
  const tokens = await mkdtemp(join(tmpdir(), 'sophon-softhsm-'));
  const conf = join(tokens, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf, SOPHON_KEYCHAIN_SERVICE: SERVICE };
  // The file protector to begin with; the token is configured, not yet used.
  const { home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file', Pkcs11: { Module: MODULE, Token: TOKEN } } } });
  const run = (args: string[]) => sophon(args, { home, env });
  const protectorSetting = async () => (JSON.parse(await readFile(join(home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { Vault: { KeyProtector: string; Pkcs11: { Token: string } } } }).Sophon.Vault;
  const security = async () => (await readdir(join(home, 'security'))).filter((n) => n !== 'audit-head.json').sort();

  async function assertAll(keyId: string, context: string): Promise<void> {
    const { vault } = await openVault({ home, env });
    for (let i = 0; i < 20; i++) assert.equal((await vault.get('default', `c-${i}`))?.apiKey, `v-${i}`, `${context}: c-${i}`);
    for (const name of (await readdir(join(home, 'vault'))).filter((n) => n.endsWith('.vault'))) {
      assert.equal(readKeyId(await readFile(join(home, 'vault', name))), keyId, `${context}: ${name}`);
    }
  }

  beforeAll(async () => {
    await promisify(execFile)('softhsm2-util', ['--init-token', '--free', '--label', TOKEN, '--so-pin', SO_PIN, '--pin', PIN], { env });
    await keytar.setPassword(SERVICE, `pkcs11-pin:${TOKEN}`, PIN);
    const { vault } = await openVault({ home, env });
    for (let i = 0; i < 20; i++) await vault.put('default', `c-${i}`, { apiKey: `v-${i}` });
  });
  afterAll(async () => {
    for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
    await cleanup();
    await rm(tokens, { recursive: true, force: true });
  });

  test('file → pkcs11: every credential under the new key, wrapped on the token; the key file gone; settings follow', async () => {
    const fileKey = (JSON.parse(await readFile(join(home, 'security', 'vault.key'), 'utf8')) as { keyId: string }).keyId;
    const r = await run(['vault', 'rotate-key', '--to', 'pkcs11', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = json<{ from: { keyId: string; protector: string }; to: { keyId: string; protector: string }; oldKeyRemoved: boolean }>(r);
    assert.deepEqual([result.from.protector, result.to.protector, result.from.keyId], ['file', 'pkcs11', fileKey]);
    assert.equal(result.oldKeyRemoved, true);
    assert.equal((await protectorSetting()).KeyProtector, 'pkcs11');
    assert.deepEqual(await security(), ['keyinfo.json', 'pkcs11-key.json']);
    const wrapped = JSON.parse(await readFile(join(home, 'security', 'pkcs11-key.json'), 'utf8')) as { keyId: string; token: string };
    assert.deepEqual([wrapped.keyId, wrapped.token], [result.to.keyId, TOKEN]);
    await assertAll(result.to.keyId, 'on the token');
    const status = json<{ keyProtector: { kind: string; keyId: string; reachable: boolean } }>(await run(['vault', 'status', '--json']));
    assert.deepEqual(status.keyProtector.kind, 'pkcs11');
    assert.equal(status.keyProtector.keyId, result.to.keyId);
    assert.equal(status.keyProtector.reachable, true);
  });

  test('pkcs11 → pkcs11 (a new master key wrapped by the same token key), then pkcs11 → file', async () => {
    const same = await run(['vault', 'rotate-key', '--json']);
    assert.equal(same.code, 0, same.stderr);
    const first = json<{ from: { keyId: string }; to: { keyId: string; protector: string } }>(same);
    assert.equal(first.to.protector, 'pkcs11');
    assert.deepEqual(await security(), ['keyinfo.json', 'pkcs11-key.json']);
    assert.equal((JSON.parse(await readFile(join(home, 'security', 'pkcs11-key.json'), 'utf8')) as { keyId: string }).keyId, first.to.keyId);
    await assertAll(first.to.keyId, 'rotated on the token');

    const back = await run(['vault', 'rotate-key', '--to', 'file', '--json']);
    assert.equal(back.code, 0, back.stderr);
    const second = json<{ to: { keyId: string; protector: string }; oldKeyRemoved: boolean }>(back);
    assert.equal(second.to.protector, 'file');
    assert.equal(second.oldKeyRemoved, true);
    assert.equal((await protectorSetting()).KeyProtector, 'file');
    // The wrapped copy of the old key is gone; the token's own wrapping key stays (it is the person's to delete).
    assert.deepEqual(await security(), ['keyinfo.json', 'vault.key']);
    await assertAll(second.to.keyId, 'back in the file');
    assert.equal((await run(['vault', 'verify'])).code, 0);
  });
});
