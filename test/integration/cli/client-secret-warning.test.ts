import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

const CLIENT_SECRET = 'client-secret-CANARY-cli-7d3e9a1b';

describe('the CLI moves a plaintext OAuth client secret into the vault, or warns and leaves it', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const settingsFile = join(home, 'config', 'appsettings.json');
  const keyFile = join(home, 'security', 'vault.key');

  test('key unavailable: a warning on stderr naming the setting, the command still runs, the file untouched; then moved', async () => {
    // One credential, so the key is in use and a missing key is an error rather than a fresh start.
    const added = await sophon(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--label', 'Key in use'], { home, stdin: 'sk-test-0123456789abcdefghijklmnop' });
    assert.equal(added.code, 0, added.stderr);
    await rename(keyFile, `${keyFile}.away`);
    const text = JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { gmail: { ClientId: 'id.example', ClientSecret: CLIENT_SECRET } } } });
    await writeFile(settingsFile, text);

    const listed = await sophon(['connect', 'list'], { home });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /^warning: Sophon\.OAuth\.gmail\.ClientSecret in .*appsettings\.json is still in plain text: it could not be moved into the vault \(The vault key [0-9a-f]+ is missing/m);
    assert.ok(!listed.stderr.includes(CLIENT_SECRET) && !listed.stdout.includes(CLIENT_SECRET));
    assert.equal(await readFile(settingsFile, 'utf8'), text);

    await rename(`${keyFile}.away`, keyFile);
    const again = await sophon(['connect', 'list'], { home });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '');
    const moved = await readFile(settingsFile, 'utf8');
    assert.ok(!moved.includes(CLIENT_SECRET));
    assert.deepEqual((JSON.parse(moved) as { Sophon: { OAuth: unknown } }).Sophon.OAuth, { gmail: { ClientId: 'id.example', ClientSecretInVault: true } });
  });
});
