import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ApiTokenStore } from '../../../electron/core/api-tokens/token-store';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

describe('API tokens', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  beforeAll(async () => (home = await tempHome()));
  afterAll(async () => home?.cleanup());

  test('sophon api-token create prints the token once; only its SHA-256 is stored, 0600; list never shows a token', async () => {
    const r = await sophon(['api-token', 'create', '--user', 'alice', '--admin'], { home: home.home });
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^sph_[A-Za-z0-9_-]{43}$/);
    assert.match(r.stderr, /for user alice \(admin\)/);
    assert.ok(!r.stderr.includes(token));
    const file = join(home.home, 'config', 'api-tokens.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(token));
    assert.ok(text.includes(createHash('sha256').update(token).digest('hex')));
    const list = await sophon(['api-token', 'list', '--json'], { home: home.home });
    assert.ok(!list.stdout.includes(token));
    const tokens = json<{ tokens: { userId: string; admin: boolean }[] }>(list).tokens;
    assert.deepEqual(tokens.map((t) => [t.userId, t.admin]), [['alice', true]]);
    const caller = await new ApiTokenStore(join(home.home, 'config')).authenticate(token);
    assert.deepEqual({ userId: caller?.userId, isAdmin: caller?.isAdmin }, { userId: 'alice', isAdmin: true });
  });

  test('an invalid user id is refused with exit 2; revoking an unknown id is exit 3', async () => {
    const bad = await sophon(['api-token', 'create', '--user', '../root'], { home: home.home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid user id/);
    const unknown = await sophon(['api-token', 'revoke', 'ffffffffffff'], { home: home.home });
    assert.equal(unknown.code, 3);
  });

  test('concurrent creates all land (the file is updated under a lock), and each token maps to its user', async () => {
    const store = new ApiTokenStore(join(home.home, 'config'));
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => new ApiTokenStore(join(home.home, 'config')).create(`user${i}`)));
    for (const [i, m] of made.entries()) assert.equal((await store.authenticate(m.token))?.userId, `user${i}`);
    assert.equal((await store.list()).filter((t) => t.userId.startsWith('user')).length, 12);
  });

  test('a token that is not exactly one issued is refused; a damaged token file is an error naming it', async () => {
    const store = new ApiTokenStore(join(home.home, 'config'));
    const { token } = await store.create('bob');
    for (const t of [undefined, '', token.slice(0, -1), `${token}x`, token.toUpperCase(), ` ${token}`]) assert.equal(await store.authenticate(t), null, String(t));
    const other = await tempHome();
    try {
      await writeFile(join(other.home, 'config', 'api-tokens.json'), '{"format":1,"tokens":[{"id":"x"}]}');
      await assert.rejects(new ApiTokenStore(join(other.home, 'config')).authenticate(token), /API token file .*api-tokens\.json/);
    } finally {
      await other.cleanup();
    }
  });
});
