import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

const TOKEN = 'tok-label-0123456789abcdef';

describe('sophon connect add --label / connect rename: look-alike labels refused, NFC kept', async () => {
  const { home, cleanup } = await tempHome();
  beforeAll(async () => {
    await mkdir(join(home, 'connectors'));
    // Never called: every add here is --no-test.
    await writeFile(join(home, 'connectors', 'labelsvc.json'), userApiConnector('labelsvc', 9));
  });
  afterAll(cleanup);
  const run = (args: string[], stdin?: string) => sophon(args, { home, stdin });
  const list = async () => json<{ connections: Connection[] }>(await run(['connect', 'list', '--json'])).connections;

  test('a decomposed --label is stored composed; the composed spelling is then a duplicate (exit 2)', async () => {
    const r = await run(['connect', 'add', 'labelsvc', '--secret-stdin', '--no-test', '--label', 'Cafe\u0301', '--json'], TOKEN);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<{ connection: Connection }>(r).connection.label, 'Caf\u00e9');
    const dup = await run(['connect', 'add', 'labelsvc', '--secret-stdin', '--no-test', '--label', 'Caf\u00e9'], TOKEN);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /already have .* labelled "Café"/);
  });

  for (const [what, label, message] of [
    ['a right-to-left override', 'work\u202eliamg', /bidirectional control character U\+202E/],
    ['a zero-width space', 'Caf\u200b\u00e9', /invisible character U\+200B/],
  ] as const) {
    test(`add and rename refuse ${what} with exit 2 and the code point`, async () => {
      const r = await run(['connect', 'add', 'labelsvc', '--secret-stdin', '--no-test', '--label', label], TOKEN);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal((await list()).length, 1, 'nothing was stored');
      const renamed = await run(['connect', 'rename', 'labelsvc', label]);
      assert.equal(renamed.code, 2, renamed.stderr);
      assert.match(renamed.stderr, message);
      assert.equal((await list())[0]?.label, 'Caf\u00e9');
    });
  }
});
