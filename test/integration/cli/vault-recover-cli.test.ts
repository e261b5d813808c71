import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { AuditRow, Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

const TOKEN = 'tok-recover-0123456789abcdef';

interface Verify {
  total: number;
  ok: number;
  failures: { connectionId: string; code: string; problem: string }[];
  unlisted: { userId: string; connectionId: string }[];
}

describe('issue #12: a missing or empty sophon.db never deletes the vault (built CLI)', async () => {
  const api = await startUserApi(TOKEN);
  afterAll(() => api.close());

  for (const how of ['rm sophon.db*', ': > sophon.db'] as const) {
    test(`${how}: files kept, listed as unlisted, recovered, and the connection works again`, async () => {
      const { home, cleanup } = await tempHome();
      try {
        await mkdir(join(home, 'connectors'));
        await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
        const run = (args: string[], stdin?: string) => sophon(args, { home, stdin });

        // The reproduction, word for word, plus a connection that can be tested here.
        const openai = await run(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--json'], 'sk-x-123456789');
        assert.equal(openai.code, 0, openai.stderr);
        const local = await run(['connect', 'add', 'localapi', '--secret-stdin', '--json'], TOKEN);
        assert.equal(local.code, 0, local.stderr);
        const ids = [json<{ connection: Connection }>(openai).connection.id, json<{ connection: Connection }>(local).connection.id];
        const before = json<{ connections: Connection[] }>(await run(['connect', 'list', '--json'])).connections;
        const files = (await readdir(join(home, 'vault'))).sort();
        assert.equal(files.length, 2);

        if (how === 'rm sophon.db*') for (const f of (await readdir(home)).filter((n) => n.startsWith('sophon.db'))) await rm(join(home, f));
        else await writeFile(join(home, 'sophon.db'), '');

        const list = await run(['connect', 'list']);
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, /No connections yet/);
        assert.match(list.stderr, /note: 2 credential file\(s\) in the vault have no connection .*`sophon vault recover` lists them again/);
        assert.deepEqual((await readdir(join(home, 'vault'))).sort(), files, 'connect list deleted nothing');

        const verify = await run(['vault', 'verify', '--json']);
        assert.equal(verify.code, 0, verify.stderr);
        const v = json<Verify>(verify);
        assert.deepEqual(v.unlisted.map((u) => u.connectionId).sort(), [...ids].sort());
        assert.equal(v.ok, 2);
        const human = await run(['vault', 'verify']);
        assert.match(human.stdout, /unlisted default\/openai-[0-9a-f]+: no connection in sophon\.db; kept/);
        assert.deepEqual((await readdir(join(home, 'vault'))).sort(), files, 'vault verify deleted nothing');

        const recover = await run(['vault', 'recover']);
        assert.equal(recover.code, 0, recover.stderr);
        assert.match(recover.stdout, /Recovered 2 connection\(s\)/);
        const after = json<{ connections: Connection[] }>(await run(['connect', 'list', '--json'])).connections;
        const shape = (cs: Connection[]) => cs.map((c) => [c.id, c.label, c.serviceId, c.secretHint, c.createdAt, c.account]);
        assert.deepEqual(before.map((c) => [c.serviceId, c.account]), [['localapi', 'octo-test'], ['openai', null]]);
        assert.deepEqual(shape(after), shape(before));

        const seen = api.seen.length;
        const t = await run(['connect', 'test', ids[1]!, '--json']);
        assert.equal(t.code, 0, t.stderr + t.stdout);
        assert.equal(api.seen.at(seen)?.headers.authorization, `Bearer ${TOKEN}`);
        const status = await run(['connect', 'status', ids[0]!, '--json']);
        assert.equal(status.code, 0, status.stderr);
        assert.equal(json<Connection>(status).state, 'active');

        const again = await run(['vault', 'recover', '--json']);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(json<{ recovered: unknown[]; alreadyListed: number }>(again), { recovered: [], unrecoverable: [], alreadyListed: 2 });
        const audit = json<{ rows: AuditRow[] }>(await run(['audit', '--json']));
        assert.ok(audit.rows.some((r) => /recovered 2 connection\(s\) from the vault.*audit history from before this is lost/.test(r.detail ?? '')), JSON.stringify(audit.rows));
        const v2 = json<Verify>(await run(['vault', 'verify', '--json']));
        assert.deepEqual([v2.ok, v2.unlisted.length], [2, 0]);
      } finally {
        await cleanup();
      }
    });
  }
});

describe('issue #12: a rolled-back vault file and removals (built CLI)', async () => {
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(TOKEN);
  beforeAll(async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
  });
  afterAll(async () => {
    await api.close();
    await cleanup();
  });
  const run = (args: string[], stdin?: string) => sophon(args, { home, stdin });

  test('an older copy of a vault file put back: verify and test refuse it with vault_file_rolled_back (exit 6)', async () => {
    const added = await run(['connect', 'add', 'localapi', '--secret-stdin', '--label', 'Rolled', '--json'], TOKEN);
    assert.equal(added.code, 0, added.stderr);
    const id = json<{ connection: Connection }>(added).connection.id;
    const file = join(home, 'vault', `default_${id}.vault`);
    const saved = join(home, 'saved.vault');
    await copyFile(file, saved);
    // A second write of the same credential, as an OAuth refresh would make (no CLI command rewrites a bearer token).
    const { openCoreInternals } = await import('../../helpers/internals');
    const core = await openCoreInternals({ home });
    await core.vault.put('default', id, { accessToken: TOKEN });
    core.close();
    await copyFile(saved, file);

    const v = await run(['vault', 'verify', '--json']);
    assert.equal(v.code, 6);
    assert.deepEqual(json<Verify>(v).failures.map((f) => [f.connectionId, f.code]), [[id, 'vault_file_rolled_back']]);
    const t = await run(['connect', 'test', id]);
    assert.equal(t.code, 6, t.stdout + t.stderr);
    assert.match(t.stderr, /older than the one Sophon last wrote/);
    assert.doesNotMatch(t.stderr + t.stdout + v.stdout, new RegExp(TOKEN));
    // Once noticed, the connection shows it without another use.
    const status = json<Connection>(await run(['connect', 'status', id, '--json']));
    assert.deepEqual([status.state, status.stateReason], ['error', 'Its vault file is an older copy than the one Sophon last wrote (put back from a backup?): restore the newer file, or remove the connection and add it again.']);
    assert.equal((await run(['connect', 'remove', id, '--yes'])).code, 0);
  });

  test('removing an API-key connection whose vault key is missing does not claim a failed revocation', async () => {
    const added = await run(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--json'], 'sk-x-123456789');
    assert.equal(added.code, 0, added.stderr);
    const id = json<{ connection: Connection }>(added).connection.id;
    await rm(join(home, 'security', 'vault.key'));
    const r = await run(['connect', 'remove', id, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /revocation at the service failed/);
    assert.match(r.stdout, /^Removed OpenAI API \(openai-[0-9a-f]+\)\.\nSophon's copy of the credential is deleted\. Sophon cannot revoke it at OpenAI API: it stays valid there until you revoke it in the service's settings\.\n$/);
    assert.deepEqual(await readdir(join(home, 'vault')), []);
  });
});
