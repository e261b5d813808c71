import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { isSophonError } from '../../../electron/core/errors';
import { openVault, type OpenedVault } from '../../../electron/core/vault/open-vault';
import { assertValidId, parseVaultFileName, vaultFileName } from '../../../electron/core/vault/ids';
import { tempHome } from '../../helpers/home';

const CANARY = `canary-${randomBytes(8).toString('hex')}`;

describe('vault files: format, identity binding, tampering', async () => {
  const { home, cleanup } = await tempHome();
  let v: OpenedVault;
  const file = (u: string, c: string) => join(home, 'vault', `${u}_${c}.vault`);
  beforeAll(async () => {
    v = await openVault({ home });
    await v.vault.put('alice', 'github-1', { accessToken: CANARY, refreshToken: `${CANARY}-r`, expiresAt: 1_900_000_000_000, scopes: ['repo'], extra: { a: 'b' } });
    await v.vault.put('alice', 'slack-1', { apiKey: 'other-secret' });
    await v.vault.put('bob', 'github-1', { accessToken: 'bobs-token' });
  });
  afterAll(cleanup);

  /** Every failure is typed, names the file, never shows the secret, and leaves the others readable. */
  async function expectBroken(u: string, c: string, code: RegExp) {
    await assert.rejects(v.vault.get(u, c), (err: unknown) => {
      assert.ok(isSophonError(err), String(err));
      assert.match(err.code, code);
      assert.ok(err.message.includes(file(u, c)), err.message);
      for (const text of [err.message, String(err), err.stack ?? '']) assert.ok(!text.includes(CANARY));
      return true;
    });
    assert.equal((await v.vault.get('alice', 'slack-1'))?.apiKey, 'other-secret');
    assert.equal((await v.vault.get('bob', 'github-1'))?.accessToken, 'bobs-token');
  }

  test('round trip keeps every field; the file holds no plaintext', async () => {
    const got = await v.vault.get('alice', 'github-1');
    assert.deepEqual(got, { accessToken: CANARY, refreshToken: `${CANARY}-r`, expiresAt: 1_900_000_000_000, scopes: ['repo'], extra: { a: 'b' } });
    assert.ok(!(await readFile(file('alice', 'github-1'))).includes(CANARY));
    assert.equal(await v.vault.get('alice', 'nothing-here'), null);
  });

  test('a fresh nonce on every write: the same credential never encrypts the same way', async () => {
    await v.vault.put('carol', 'x-1', { apiKey: 'same' });
    const a = await readFile(file('carol', 'x-1'));
    await v.vault.put('carol', 'x-1', { apiKey: 'same' });
    const b = await readFile(file('carol', 'x-1'));
    assert.notDeepEqual(a.subarray(13, 25), b.subarray(13, 25));
    assert.notDeepEqual(a, b);
  });

  test('a flipped bit at any position fails to open', async () => {
    const original = await readFile(file('alice', 'github-1'));
    for (let i = 0; i < original.length; i++) {
      const bad = Buffer.from(original);
      bad[i]! ^= 1 << (i % 8);
      await writeFile(file('alice', 'github-1'), bad);
      await expectBroken('alice', 'github-1', /^vault_(file_corrupt|key_mismatch)$/);
    }
    await writeFile(file('alice', 'github-1'), original);
    assert.equal((await v.vault.get('alice', 'github-1'))?.accessToken, CANARY);
  });

  test('truncation at every length fails to open', async () => {
    const original = await readFile(file('alice', 'github-1'));
    for (let len = 0; len < original.length; len++) {
      await writeFile(file('alice', 'github-1'), original.subarray(0, len));
      await expectBroken('alice', 'github-1', /^vault_file_corrupt$/);
    }
    await writeFile(file('alice', 'github-1'), original);
  });

  test("a file copied over another user's or another connection's fails: identity is bound", async () => {
    const bobs = await readFile(file('bob', 'github-1'));
    await copyFile(file('alice', 'github-1'), file('bob', 'github-1'));
    await assert.rejects(v.vault.get('bob', 'github-1'), (err: unknown) => isSophonError(err, 'vault_file_corrupt') && /another user or connection/.test(err.message));
    await writeFile(file('bob', 'github-1'), bobs);
    await copyFile(file('alice', 'slack-1'), file('alice', 'slack-2'));
    await expectBroken('alice', 'slack-2', /^vault_file_corrupt$/);
    await rename(file('alice', 'slack-2'), file('alice', 'renamed-1'));
    await expectBroken('alice', 'renamed-1', /^vault_file_corrupt$/);
  });

  test('foreign magic, a newer format version, and another key are each named', async () => {
    const original = await readFile(file('alice', 'github-1'));
    await writeFile(file('alice', 'github-1'), Buffer.concat([Buffer.from('NOPE'), original.subarray(4)]));
    await assert.rejects(v.vault.get('alice', 'github-1'), /not a Sophon vault file/);
    const newer = Buffer.from(original);
    newer[4] = 2;
    await writeFile(file('alice', 'github-1'), newer);
    await assert.rejects(v.vault.get('alice', 'github-1'), /format version 2; this Sophon reads version 1/);
    const otherKey = Buffer.from(original);
    otherKey.fill(0xab, 5, 13);
    await writeFile(file('alice', 'github-1'), otherKey);
    await assert.rejects(v.vault.get('alice', 'github-1'), (err: unknown) => isSophonError(err, 'vault_key_mismatch') && /key abababababababab/.test(err.message));
    await writeFile(file('alice', 'github-1'), original);
  });

  test('verify names each bad file and counts the good ones', async () => {
    await writeFile(file('alice', 'slack-1'), Buffer.from('garbage'));
    const report = await v.vault.verify();
    assert.deepEqual(report.failures.map((f) => `${f.userId}/${f.connectionId}`).sort(), ['alice/renamed-1', 'alice/slack-1']);
    assert.ok(report.ok >= 3);
  });

  test('ids cannot leave the folder, collide by case, or split ambiguously', () => {
    for (const bad of ['', '..', '../x', 'a/b', 'a\\b', 'A', 'a_b', '-a', '.a', 'a b', 'x'.repeat(65), 'é', 'a\0b']) {
      assert.throws(() => assertValidId('connection', bad), (err: unknown) => isSophonError(err, 'invalid_input'), JSON.stringify(bad));
    }
    for (const good of ['a', 'default', 'github-3f9a2c41d0', 'a.b-c', 'x'.repeat(64)]) assert.doesNotThrow(() => assertValidId('user', good));
    assert.equal(vaultFileName('alice', 'gh-1'), 'alice_gh-1.vault');
    assert.deepEqual(parseVaultFileName('alice_gh-1.vault'), { userId: 'alice', connectionId: 'gh-1' });
    for (const odd of ['alice_gh_1.vault', 'alice.vault', '.alice_gh.vault.1.tmp', 'Alice_gh.vault']) assert.equal(parseVaultFileName(odd), null, odd);
  });
});
