import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));

interface Minted {
  token: string;
  skill: string;
  connections: string[];
  calls: Record<string, { service: string; methods: string[] | null; paths: string[] | null }> | null;
}
interface Audit {
  rows: { action: string; outcome: string; skill: string | null; connectionId: string | null; detail: string | null }[];
}

describe('`sophon broker mint --manifest`: the token gets only what the skill declares', async () => {
  const { home, cleanup } = await tempHome();
  const skill = join(home, 'skills', 'lister');
  let localId = '';
  let otherId = '';
  const run = (args: string[], stdin?: string) => sophon(args, { home, stdin });

  beforeAll(async () => {
    await mkdir(join(home, 'connectors'), { recursive: true });
    await writeFile(join(home, 'connectors', 'local-api.json'), userApiConnector('local-api', 9));
    await writeFile(join(home, 'connectors', 'other-api.json'), userApiConnector('other-api', 9));
    await mkdir(skill, { recursive: true });
    await writeFile(
      join(skill, 'manifest.json'),
      JSON.stringify({ id: 'lister', name: 'Lister', tools: [{ name: 'list', command: ['node', 'list.mjs'] }], credentials: [{ service: 'local-api', methods: ['GET'], paths: ['/user', '/items/**'] }] }),
    );
    localId = json<{ connection: { id: string } }>(await run(['connect', 'add', 'local-api', '--secret-stdin', '--no-test', '--json'], 'local-secret-0123456789')).connection.id;
    otherId = json<{ connection: { id: string } }>(await run(['connect', 'add', 'other-api', '--secret-stdin', '--no-test', '--json'], 'other-secret-0123456789')).connection.id;
  });
  afterAll(cleanup);

  test('the declared service\'s connection is bound with the manifest\'s methods and paths, under the manifest\'s skill id', async () => {
    const m = json<Minted>(await run(['broker', 'mint', '--manifest', skill, '--tool', 'list', '--json']));
    assert.equal(m.skill, 'lister');
    assert.deepEqual(m.connections, [localId]);
    assert.deepEqual(m.calls, { [localId]: { service: 'local-api', methods: ['GET'], paths: ['/user', '/items/**'] } });
  });

  test('a connection of a service the manifest does not declare is refused, and audited', async () => {
    const r = await run(['broker', 'mint', '--manifest', skill, '--tool', 'list', '--connection', otherId]);
    assert.equal(r.code, 4, 'forbidden: exit 4');
    assert.equal(r.stdout, '', 'no token');
    assert.match(r.stderr, new RegExp(`${otherId} is an other-api connection, which the manifest of skill lister does not declare \\(it declares local-api\\)`));
    const audit = json<Audit>(await run(['audit', '--skill', 'lister', '--json']));
    assert.ok(audit.rows.some((x) => x.action === 'broker_mint' && x.outcome === 'denied' && x.connectionId === otherId), JSON.stringify(audit.rows));
  });

  test('a tool the manifest does not have, or a --skill that is not the manifest\'s, is refused', async () => {
    const tool = await run(['broker', 'mint', '--manifest', skill, '--tool', 'delete-all']);
    assert.equal(tool.code, 2, 'usage: exit 2');
    assert.match(tool.stderr, /Skill lister has no tool "delete-all"; it has: list/);
    const named = await run(['broker', 'mint', '--manifest', skill, '--skill', 'someone-else', '--tool', 'list']);
    assert.notEqual(named.code, 0);
    assert.match(named.stderr, /--skill someone-else is not the skill of .*manifest\.json \(lister\)/);
    const neither = await run(['broker', 'mint', '--tool', 'list', '--connection', localId]);
    assert.notEqual(neither.code, 0);
    assert.match(neither.stderr, /--manifest <skill folder>/);
  });

  test('without a manifest, broker mint binds no limits (as before)', async () => {
    const m = json<Minted>(await run(['broker', 'mint', '--skill', 'adhoc', '--tool', 't', '--connection', otherId, '--json']));
    assert.equal(m.calls, null);
    assert.deepEqual(m.connections, [otherId]);
  });

  test('the shipped example with no GitHub connection: the error says to add one or import gh\'s login, never reauth', async () => {
    for (const args of [['broker', 'mint', '--manifest', EXAMPLE, '--tool', 'whoami'], ['skill', 'run', EXAMPLE, '--tool', 'whoami']]) {
      const r = await run(args);
      assert.equal(r.code, 4, 'auth_failed: exit 4');
      assert.match(r.stderr, /needs a GitHub connection and you have none: connect any one of github, github-pat with `sophon connect add github`, `sophon connect add github-pat` or `sophon connect import --from gh`/, args.join(' '));
      assert.doesNotMatch(r.stderr, /reauth/);
    }
  });
});
