import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { sophonPaths } from '../../../electron/core/config/paths';
import { isSophonError } from '../../../electron/core/errors';
import { FileKeyProtector } from '../../../electron/core/keys/file-protector';
import { readKeyId } from '../../../electron/core/vault/format';
import { openVault } from '../../../electron/core/vault/open-vault';
import { rotateKey, type RotationStep } from '../../../electron/core/vault/rotate-key';
import { SystemSecrets } from '../../../electron/core/vault/system-secrets';
import { vaultChild } from '../../helpers/child';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

type Keytar = typeof import('keytar');
const keytar = createRequire(import.meta.url)('keytar') as Keytar;

// Real keytar against gnome-keyring, under a service of this test's own.
const SERVICE = `sophon-test-${randomBytes(6).toString('hex')}`;
const env = { ...process.env, SOPHON_KEYCHAIN_SERVICE: SERVICE };
const FILE = { Sophon: { Vault: { KeyProtector: 'file' } } };
const KEYCHAIN = { Sophon: { Vault: { KeyProtector: 'keychain' } } };

const homes: (() => Promise<void>)[] = [];
async function home(settings: object, credentials: number): Promise<string> {
  const h = await tempHome(settings);
  homes.push(h.cleanup);
  const { vault, keys, paths } = await openVault({ home: h.home, env });
  for (let i = 0; i < credentials; i++) await vault.put('default', `c-${i}`, { apiKey: `v-${i}` });
  await new SystemSecrets(paths, (id) => keys.keyFor(id)).put('oauth-client-github', 'client-secret-1');
  return h.home;
}

async function assertReadable(h: string, credentials: number, context: string, overrides: Record<string, string> = {}): Promise<string> {
  const { vault, keys, paths } = await openVault({ home: h, env });
  for (let i = 0; i < credentials; i++) {
    const c = await vault.get('default', `c-${i}`).catch((err: unknown) => assert.fail(`${context}: c-${i}: ${(err as Error).message}`));
    assert.equal(c?.apiKey, overrides[`c-${i}`] ?? `v-${i}`, `${context}: c-${i}`);
  }
  assert.equal(await new SystemSecrets(paths, (id) => keys.keyFor(id)).get('oauth-client-github'), 'client-secret-1', context);
  return (await keys.get()).id;
}

/** Key ids in the headers of every vault file. */
async function headerIds(h: string): Promise<Set<string | null>> {
  const paths = sophonPaths(h);
  const ids = new Set<string | null>();
  for (const dir of [paths.vaultDir, join(paths.vaultDir, 'system')]) {
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.vault'))) ids.add(readKeyId(await readFile(join(dir, name))));
  }
  return ids;
}

async function keychainKeys(): Promise<string[]> {
  return (await keytar.findCredentials(SERVICE)).map((c) => c.account).filter((a) => a.startsWith('vault-master-key:')).sort();
}

async function security(h: string): Promise<string[]> {
  return (await readdir(join(h, 'security'))).filter((n) => n !== 'audit-head.json').sort();
}

describe('sophon vault rotate-key', () => {
  afterAll(async () => {
    for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
    for (const cleanup of homes) await cleanup();
  });

  test('file protector, through the CLI: every credential re-sealed with the new key, the old key gone, the audit head moved, dates shown', async () => {
    const h = await home(FILE, 0);
    const added: string[] = [];
    for (const secret of ['sk-one-aaaaaaaaaaaa', 'sk-two-bbbbbbbbbbbb']) {
      const r = await sophon(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--json'], { home: h, stdin: secret });
      assert.equal(r.code, 0, r.stderr);
      added.push(json<{ connection: { id: string } }>(r).connection.id);
    }
    const { vault, keys } = await openVault({ home: h, env });
    for (let i = 0; i < 30; i++) await vault.put('default', `c-${i}`, { apiKey: `v-${i}` });
    const oldId = (await keys.get()).id;

    const r = await sophon(['vault', 'rotate-key', '--json'], { home: h });
    assert.equal(r.code, 0, r.stderr);
    const result = json<{ from: { keyId: string }; to: { keyId: string; protector: string }; resealed: number; resumed: boolean; oldKeyRemoved: boolean }>(r);
    assert.equal(result.from.keyId, oldId);
    assert.notEqual(result.to.keyId, oldId);
    assert.equal(result.to.protector, 'file');
    assert.equal(result.resealed, 30 + 2 + 1);
    assert.equal(result.resumed, false);

    assert.equal(await assertReadable(h, 30, 'after the rotation'), result.to.keyId);
    assert.deepEqual([...(await headerIds(h))], [result.to.keyId]);
    // The key file holds the new key only; asking it for the old one is a mismatch, not a key.
    const file = new FileKeyProtector(sophonPaths(h).keyFile);
    await assert.rejects(file.load(oldId), (err) => isSophonError(err) && err.code === 'vault_key_mismatch');
    assert.deepEqual(await security(h), ['keyinfo.json', 'vault.key']);

    assert.equal((await sophon(['vault', 'verify'], { home: h })).code, 0);
    const audit = await sophon(['audit', 'verify'], { home: h });
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    assert.match(audit.stdout, /head verified/);
    assert.equal(added.length, 2);

    const status = json<{ keyProtector: { keyId: string }; key: { createdAt: string; rotatedAt: string; ageDays: number; rotationInProgress: boolean } }>(await sophon(['vault', 'status', '--json'], { home: h }));
    assert.equal(status.keyProtector.keyId, result.to.keyId);
    assert.ok(Date.parse(status.key.rotatedAt) >= Date.parse(status.key.createdAt));
    assert.equal(status.key.ageDays, 0);
    assert.equal(status.key.rotationInProgress, false);
    const info = JSON.parse(await readFile(sophonPaths(h).keyInfoFile, 'utf8')) as { previousKeyId: string };
    assert.equal(info.previousKeyId, oldId);
  });

  test('keychain protector: the old keychain item is deleted, the new one kept', async () => {
    const h = await home(KEYCHAIN, 25);
    const before = await keychainKeys();
    const result = await rotateKey({ home: h, env });
    assert.equal(result.oldKeyRemoved, true);
    assert.equal(await assertReadable(h, 25, 'after the rotation'), result.to.keyId);
    assert.deepEqual([...(await headerIds(h))], [result.to.keyId]);
    const afterKeys = await keychainKeys();
    assert.ok(before.includes(`vault-master-key:${result.from.keyId}`));
    assert.ok(!afterKeys.includes(`vault-master-key:${result.from.keyId}`), 'the old key is still in the keychain');
    assert.ok(afterKeys.includes(`vault-master-key:${result.to.keyId}`));
    assert.deepEqual(await security(h), ['keyinfo.json']);
  });

  test('--to moves the key between protectors: file → keychain → file, settings follow, nothing of the old key left', async () => {
    const h = await home(FILE, 10);
    const toKeychain = await sophon(['vault', 'rotate-key', '--to', 'keychain', '--json'], { home: h, env });
    assert.equal(toKeychain.code, 0, toKeychain.stderr);
    const first = json<{ to: { keyId: string } }>(toKeychain);
    const settings = () => readFile(join(h, 'config', 'appsettings.json'), 'utf8').then((t) => (JSON.parse(t) as { Sophon: { Vault: { KeyProtector: string } } }).Sophon.Vault.KeyProtector);
    assert.equal(await settings(), 'keychain');
    assert.deepEqual(await security(h), ['keyinfo.json'], 'vault.key was removed');
    assert.ok((await keychainKeys()).includes(`vault-master-key:${first.to.keyId}`));
    assert.equal(await assertReadable(h, 10, 'in the keychain'), first.to.keyId);

    const back = await sophon(['vault', 'rotate-key', '--to', 'file', '--json'], { home: h, env });
    assert.equal(back.code, 0, back.stderr);
    const second = json<{ to: { keyId: string } }>(back);
    assert.equal(await settings(), 'file');
    assert.ok(!(await keychainKeys()).includes(`vault-master-key:${first.to.keyId}`), 'the keychain item was removed');
    assert.deepEqual(await security(h), ['keyinfo.json', 'vault.key']);
    assert.equal(await assertReadable(h, 10, 'back in the file'), second.to.keyId);
    assert.deepEqual([...(await headerIds(h))], [second.to.keyId]);
  });

  const STEPS: RotationStep[] = ['journal-prepare', 'key-staged', 'journal-rewrap', 'file-resealed', 'resealed', 'head-moved', 'journal-commit', 'key-moved', 'keyinfo-written', 'settings-written', 'old-key-removed', 'staging-cleared'];
  for (const [kind, settings] of [['file', FILE], ['keychain', KEYCHAIN]] as const) {
    test(`${kind}: stopped after each step, every credential opens, and the next run finishes with one key left`, async () => {
      for (const stop of STEPS) {
        const h = await home(settings, 12);
        const oldId = await assertReadable(h, 12, 'before');
        const keysBefore = await keychainKeys();
        let resealed = 0;
        await assert.rejects(
          rotateKey({
            home: h,
            env,
            afterStep: (step) => {
              // Half way through the files, or right after the named step.
              if (step === stop && (step !== 'file-resealed' || ++resealed === 6)) throw new Error(`stopped after ${step}`);
            },
          }),
          new RegExp(`stopped after ${stop}`),
        );
        await assertReadable(h, 12, `stopped after ${stop}`);
        // What `vault status` shows. The journal goes last, so every stop leaves the rotation to be finished, and status says so.
        const state = await (await openVault({ home: h, env })).keys.state();
        assert.equal(state.rotationInProgress, true, stop);
        assert.equal(state.reachable, true, `${stop}: ${state.problem}`);

        const done = await rotateKey({ home: h, env });
        const newId = await assertReadable(h, 12, `finished after ${stop}`);
        assert.equal(newId, done.to.keyId);
        assert.notEqual(newId, oldId);
        assert.deepEqual([...(await headerIds(h))], [newId], stop);
        assert.deepEqual(await security(h), kind === 'file' ? ['keyinfo.json', 'vault.key'] : ['keyinfo.json'], stop);
        if (kind === 'keychain') {
          const keysAfter = await keychainKeys();
          // Only the final key is new in the keychain (a key staged by a run stopped before rewrapping is removed), and the old one is gone.
          assert.deepEqual(keysAfter.filter((a) => !keysBefore.includes(a)), [`vault-master-key:${newId}`], stop);
          assert.ok(!keysAfter.includes(`vault-master-key:${oldId}`), stop);
        }
      }
    });
  }

  test('readers and writers during a rotation: files under either key open, writes land under the new key and survive', async () => {
    const h = await home(FILE, 20);
    // Opened before the rotation: its key is cached, and must not be trusted blindly afterwards.
    const early = await openVault({ home: h, env });
    assert.equal((await early.vault.get('default', 'c-0'))?.apiKey, 'v-0');
    let checked = false;
    const result = await rotateKey({
      home: h,
      env,
      concurrency: 1,
      afterStep: async (step) => {
        if (step !== 'file-resealed' || checked) return;
        checked = true;
        // Mid-rotation, some files sealed with each key: everything opens, through both vaults.
        const ids = await headerIds(h);
        assert.equal(ids.size, 2, 'both keys in use');
        await assertReadable(h, 20, 'mid-rotation');
        for (let i = 0; i < 20; i++) assert.equal((await early.vault.get('default', `c-${i}`))?.apiKey, `v-${i}`);
        await early.vault.put('default', 'c-19', { apiKey: 'written-mid-rotation' });
      },
    });
    assert.ok(checked);
    await assertReadable(h, 20, 'after', { 'c-19': 'written-mid-rotation' });
    assert.deepEqual([...(await headerIds(h))], [result.to.keyId]);
    // The early vault follows the new key for reads and writes.
    await early.vault.put('default', 'c-0', { apiKey: 'written-after' });
    assert.equal(readKeyId(await readFile(join(h, 'vault', 'default_c-0.vault'))), result.to.keyId);
    await assertReadable(h, 20, 'after the early writer', { 'c-19': 'written-mid-rotation', 'c-0': 'written-after' });
  });

  test('another process writing through the core during a CLI rotation loses no write', async () => {
    const h = await home(FILE, 300);
    const writer = vaultChild(['core-write', h, 'live', '150'], env);
    // Let the writer start before the rotation does.
    while (!writer.stdout().includes('ACK')) await new Promise((r) => setTimeout(r, 20));
    const rotation = await sophon(['vault', 'rotate-key', '--json'], { home: h });
    assert.equal(rotation.code, 0, rotation.stderr);
    const w = await writer.done;
    assert.equal(w.code, 0, w.stderr);
    const pid = writer.proc.pid!;
    const { vault } = await openVault({ home: h, env });
    assert.equal((await vault.get('default', 'live'))?.accessToken, `token-${pid}-149`);
    assert.deepEqual([...(await headerIds(h))], [json<{ to: { keyId: string } }>(rotation).to.keyId]);
    await assertReadable(h, 300, 'after');
  });

  test('clear errors: an unknown protector, an empty vault, a rotation already running', async () => {
    const h = await home(FILE, 1);
    const bad = await sophon(['vault', 'rotate-key', '--to', 'floppy'], { home: h });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--to "floppy" is not a key protector; choose one of: keychain, file, pkcs11/);
    const empty = await tempHome(FILE);
    homes.push(empty.cleanup);
    const none = await sophon(['vault', 'rotate-key'], { home: empty.home });
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /has no key yet .*nothing to rotate/);
    // A live process holds the rotation lock (this test's own pid).
    await writeFile(join(h, 'security', 'rotation.lock'), String(process.pid));
    const busy = await sophon(['vault', 'rotate-key'], { home: h });
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, new RegExp(`Another key rotation is running \\(process ${process.pid}\\)`));
    // A dead holder's lock (a killed rotation) is taken over.
    await writeFile(join(h, 'security', 'rotation.lock'), '999999999');
    assert.equal((await sophon(['vault', 'rotate-key'], { home: h })).code, 0);
  });

  test('vault status reminds when the key is older than Sophon.Vault.RotateReminderDays', async () => {
    const h = await home({ Sophon: { Vault: { KeyProtector: 'file', RotateReminderDays: 30 } } }, 1);
    const infoFile = sophonPaths(h).keyInfoFile;
    const info = JSON.parse(await readFile(infoFile, 'utf8')) as Record<string, unknown>;
    await writeFile(infoFile, JSON.stringify({ ...info, createdAt: new Date(Date.now() - 40 * 86_400_000).toISOString() }));
    const r = await sophon(['vault', 'status'], { home: h });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reminder: The vault key [0-9a-f]{16} is 40 days old \(Sophon\.Vault\.RotateReminderDays is 30\); rotate it with `sophon vault rotate-key`/);
    await sophon(['vault', 'rotate-key'], { home: h });
    assert.doesNotMatch((await sophon(['vault', 'status'], { home: h })).stdout, /reminder/);
  });
});
