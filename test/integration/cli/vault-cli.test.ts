import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { openVault } from '../../../electron/core/vault/open-vault';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

interface Status {
  provider: string;
  keyProtector: { kind: string; keyId: string | null; reachable: boolean };
  credentials: number;
  problems: string[];
}
interface Verify {
  total: number;
  ok: number;
  failures: { connectionId: string; code: string; problem: string }[];
}

describe('sophon vault status / verify', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('a fresh data folder: reachable, no key yet, nothing created by looking', async () => {
    const r = await sophon(['vault', 'status', '--json'], { home });
    assert.equal(r.code, 0, r.stderr);
    const s = json<Status>(r);
    assert.deepEqual([s.provider, s.keyProtector.kind, s.keyProtector.keyId, s.keyProtector.reachable, s.credentials], ['local', 'file', null, true, 0]);
    assert.deepEqual(await readdir(home), ['config']);
  });

  test('with credentials: status counts them, verify opens them all; --home works like SOPHON_HOME', async () => {
    const { vault } = await openVault({ home });
    for (const id of ['github-1', 'slack-1', 'notion-1']) await vault.put('default', id, { apiKey: `key-for-${id}` });
    const s = json<Status>(await sophon(['--home', home, 'vault', 'status', '--json'], { home: '/nonexistent-home' }));
    assert.equal(s.credentials, 3);
    assert.match(s.keyProtector.keyId ?? '', /^[0-9a-f]{16}$/);
    const v = await sophon(['vault', 'verify'], { home });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /3 of 3 credential file\(s\) open/);
  });

  test('a damaged file fails verify by name (exit 6) while the others still open', async () => {
    const file = join(home, 'vault', 'default_slack-1.vault');
    const bytes = await readFile(file);
    bytes[bytes.length - 20]! ^= 0x01; // one bit of ciphertext
    await writeFile(file, bytes);
    const r = await sophon(['vault', 'verify', '--json'], { home });
    assert.equal(r.code, 6);
    const v = json<Verify>(r);
    assert.equal(v.ok, 2);
    assert.deepEqual(v.failures.map((f) => [f.connectionId, f.code]), [['slack-1', 'vault_file_corrupt']]);
    assert.ok(v.failures[0]!.problem.includes(file));
    await rm(file);
  });

  test('the key gone next to existing files: exit 6, the key id named, no new key made', async () => {
    const keyFile = join(home, 'security', 'vault.key');
    const saved = await readFile(keyFile);
    await rm(keyFile);
    const r = await sophon(['vault', 'status', '--json'], { home });
    assert.equal(r.code, 6);
    const s = json<Status>(r);
    assert.equal(s.keyProtector.reachable, false);
    assert.match(s.problems[0] ?? '', /vault key [0-9a-f]{16} is missing.*2 credential file\(s\).*will not create a new key/);
    const v = await sophon(['vault', 'verify'], { home });
    assert.equal(v.code, 6);
    assert.deepEqual((await readdir(join(home, 'security'))).sort(), ['keyinfo.json']);
    await writeFile(keyFile, saved, { mode: 0o600 });
    assert.equal((await sophon(['vault', 'verify'], { home })).code, 0);
  });

  test('settings problems are one clear line naming the setting, and exit 7 (a provider this build lacks is a bad setting)', async () => {
    const other = await tempHome({ Sophon: { Vault: { Provider: 'cloud' } } });
    const r = await sophon(['vault', 'status'], { home: other.home });
    assert.equal(r.code, 7);
    assert.match(r.stderr, /^sophon: Sophon\.Vault\.Provider is "cloud" in .*appsettings\.json, but this version of Sophon has only: local\.\n$/);
    const list = await sophon(['connect', 'list'], { home: other.home });
    assert.equal(list.code, 7);
    assert.equal(list.stderr, r.stderr);
    await writeFile(join(other.home, 'config', 'appsettings.json'), '{"Sophon": {"Vault": ');
    const bad = await sophon(['vault', 'status'], { home: other.home });
    assert.equal(bad.code, 7);
    assert.match(bad.stderr, /appsettings\.json is not valid JSON/);
    await other.cleanup();
  });

  test('no Secret Service: the keychain protector says so and how to choose the key file', async () => {
    const other = await tempHome({ Sophon: { Vault: { KeyProtector: 'keychain' } } });
    const r = await sophon(['vault', 'status', '--json'], { home: other.home, env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' } });
    assert.equal(r.code, 6);
    const s = json<Status>(r);
    assert.match(s.problems[0] ?? '', /OS keychain .* is not available.*Sophon\.Vault\.KeyProtector to "file"/);
    await other.cleanup();
  });

  test('usage errors exit 2; --help exits 0', async () => {
    assert.equal((await sophon(['vault', 'frobnicate'])).code, 2);
    const help = await sophon(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /vault/);
  });
});
