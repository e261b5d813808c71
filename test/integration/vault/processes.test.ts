import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { openVault } from '../../../electron/core/vault/open-vault';
import { vaultChild } from '../../helpers/child';
import { tempHome } from '../../helpers/home';

describe('the vault across processes', async () => {
  const homes: (() => Promise<void>)[] = [];
  afterAll(async () => Promise.all(homes.map((c) => c())));
  const fresh = async () => {
    const h = await tempHome();
    homes.push(h.cleanup);
    return h.home;
  };

  test('processes opening an empty vault at once agree on one key', async () => {
    for (let round = 0; round < 4; round++) {
      const home = await fresh();
      const runs = await Promise.all([0, 1, 2].map(() => vaultChild(['open', home]).done));
      const ids = new Set(runs.map((r) => r.stdout.trim()));
      assert.equal(ids.size, 1, `round ${round}: ${runs.map((r) => r.stdout + r.stderr).join(' | ')}`);
      assert.match([...ids][0]!, /^[0-9a-f]{16}$/);
    }
  });

  test('four writers at once: every acknowledged write is there, no file torn', async () => {
    const home = await fresh();
    const runs = await Promise.all(['p0', 'p1', 'p2', 'p3'].map((p) => vaultChild(['write', home, p, '25']).done));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const { vault } = await openVault({ home });
    const acked = new Map<string, Set<string>>();
    for (const r of runs) {
      for (const line of r.stdout.trim().split('\n')) {
        const [, conn, value] = line.split(' ');
        if (!acked.has(conn!)) acked.set(conn!, new Set());
        acked.get(conn!)!.add(value!);
      }
    }
    for (const [conn, values] of acked) {
      const got = (await vault.get('default', conn))?.apiKey;
      assert.ok(got !== undefined && values.has(got), `${conn}: ${got} is one of the acknowledged values`);
    }
    const report = await vault.verify();
    assert.equal(report.failures.length, 0);
    assert.equal(report.total, 4 * 25 + 3);
  });

  test('three processes writing one credential through the core: every write gets its own generation, none looks rolled back', async () => {
    const home = await fresh();
    const { openCoreInternals } = await import('../../helpers/internals');
    let core = await openCoreInternals({ home });
    const { connection } = await core.connections.add('default', { serviceId: 'openai', secret: 'sk-processes-0123456789', test: false });
    core.close();
    const runs = await Promise.all(['a', 'b', 'c'].map(() => vaultChild(['core-write', home, connection.id, '20']).done));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    core = await openCoreInternals({ home });
    try {
      assert.equal(core.store.vaultGeneration(connection.id, 'default'), 1 + 3 * 20);
      assert.equal((await core.vault.inspect('default', connection.id))?.meta?.generation, 1 + 3 * 20);
      assert.match((await core.credentials.read({ userId: 'default', connectionId: connection.id }))?.accessToken ?? '', /^token-\d+-19$/);
      assert.deepEqual((await core.verifyVault()).failures, []);
    } finally {
      core.close();
    }
  });

  test('a writer killed with SIGKILL at random moments leaves only versions that were written', async () => {
    const home = await fresh();
    const lastAck = new Map<string, number>();
    const lastBegin = new Map<string, number>();
    for (let round = 0; round < 25; round++) {
      const child = vaultChild(['crash', home]);
      // Let it start, then kill it somewhere in its write loop.
      await new Promise<void>((resolve) => {
        const check = () => (child.stdout().includes('ACK') ? resolve() : setTimeout(check, 5));
        check();
      });
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      child.proc.kill('SIGKILL');
      const { stdout } = await child.done;
      const offset = round * 1_000_000;
      for (const line of stdout.split('\n')) {
        const [kind, conn, v] = line.split(' ');
        if (!conn || v === undefined) continue;
        (kind === 'ACK' ? lastAck : lastBegin).set(conn, offset + Number(v));
      }
      const { vault } = await openVault({ home });
      for (const [conn, begun] of lastBegin) {
        const version = Number((await vault.get('default', conn))?.extra.version) + offset;
        const acked = lastAck.get(conn);
        // What is on disk is the last acknowledged version, or the one in flight when the kill came.
        if (acked !== undefined && acked >= offset) assert.ok(version >= acked && version <= begun, `${conn}: ${version} in [${acked}, ${begun}]`);
      }
      lastAck.clear();
      lastBegin.clear();
    }
    const { vault } = await openVault({ home });
    const report = await vault.verify();
    assert.deepEqual(report.failures, []);
    assert.deepEqual(report.strays, []);
    assert.ok((await readdir(join(home, 'vault'))).every((n) => n.endsWith('.vault')), 'verify removed the dead writers\' temp files');
  });
});
