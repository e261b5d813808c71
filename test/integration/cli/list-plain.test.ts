import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { createCore } from '../../../electron/core/sophon-core';
import { json, sophon } from '../../helpers/cli';
import { userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

/**
 * A plain `connect list` starts without commander and names built-in services without building the
 * catalog (electron/cli/list-args.ts, catalog/service-names.ts). Whatever it prints, the same command
 * through commander (`--no-color` is a form the plain path leaves to commander) prints too.
 */
describe('connect list: the plain form and the commander form agree', () => {
  let home: string;
  let cleanup: () => Promise<void>;
  const connector = (id: string) => join(home, 'connectors', `${id}.json`);
  const both = async (args: string[]) => {
    const plain = await sophon(args, { home });
    const commander = await sophon(['--no-color', ...args], { home });
    assert.equal(plain.code, commander.code, `${args.join(' ')}: ${plain.stderr} / ${commander.stderr}`);
    assert.equal(plain.stdout, commander.stdout, args.join(' '));
    assert.equal(plain.stderr, commander.stderr, args.join(' '));
    return plain;
  };

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    await mkdir(join(home, 'connectors'));
    await writeFile(connector('localgh'), userApiConnector('localgh', 1));
    await writeFile(connector('gone'), userApiConnector('gone', 2));
    const core = await createCore({ home });
    try {
      for (const [serviceId, label] of [['openai', 'Work'], ['github-pat', 'Home'], ['localgh', 'Mine'], ['gone', 'Old']] as const) {
        await core.connections.add('default', { serviceId, label, secret: `secret-${label}-0123456789abcdef`, test: false });
      }
      await core.connections.add('bob', { serviceId: 'openai', label: 'Bob', secret: 'sk-bob-0123456789abcdef', test: false });
    } finally {
      core.close();
    }
    // A connection whose service left the catalog: its connector file is broken now.
    await writeFile(connector('gone'), '{ "id": "gone" ');
  });
  afterAll(() => cleanup());

  test('names come from the catalog: built-in, connector file, and a service no longer there (error)', async () => {
    const { connections } = json<{ connections: Connection[] }>(await both(['connect', 'list', '--json']));
    const byLabel = new Map(connections.map((c) => [c.label, c]));
    assert.deepEqual([...byLabel.keys()].sort(), ['Home', 'Mine', 'Old', 'Work']);
    assert.equal(byLabel.get('Work')!.serviceName, 'OpenAI API');
    assert.equal(byLabel.get('Home')!.serviceName, 'GitHub (personal access token)');
    assert.equal(byLabel.get('Mine')!.serviceName, 'Local localgh');
    assert.equal(byLabel.get('Mine')!.state, 'active');
    assert.equal(byLabel.get('Old')!.serviceName, 'gone');
    assert.equal(byLabel.get('Old')!.state, 'error');
    assert.match(byLabel.get('Old')!.stateReason ?? '', /no longer in the catalog/);
  });

  test('a user with only built-in services', async () => {
    const r = await both(['--user', 'bob', 'connect', 'list', '--json']);
    assert.deepEqual(json<{ connections: Connection[] }>(r).connections.map((c) => [c.serviceName, c.state]), [['OpenAI API', 'active']]);
  });

  test('the table, the global options before and after, and the errors', async () => {
    assert.match((await both(['connect', 'list'])).stdout, /ID\s+SERVICE\s+LABEL\s+STATE/);
    await both(['connect', 'list', '--json', '--user=bob']);
    await both(['--user', 'bob', 'connect', 'list']);
    await both(['connect', 'list', '--home', home, '--json', '--debug']);
    assert.equal((await both(['--user', 'Bad User', 'connect', 'list'])).code, 2);
    assert.equal((await both(['connect', 'list', '--bogus'])).code, 2);
  });

  test('a credential gone from the vault shows the connection as broken, whichever form lists it', async () => {
    const { connections } = json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home }));
    const work = connections.find((c) => c.label === 'Work')!;
    await rm(join(home, 'vault', `default_${work.id}.vault`));
    const after = json<{ connections: Connection[] }>(await both(['connect', 'list', '--json'])).connections.find((c) => c.id === work.id)!;
    assert.equal(after.state, 'error');
    assert.match(after.stateReason ?? '', /missing from the vault/);
  });
});
