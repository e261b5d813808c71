// `sophon broker serve` with several worker processes on one port (Sophon.Broker.Workers): every worker
// refuses a token revoked by another process at once, redacts, and every call is in the audit trail after
// Ctrl-C (which reaches the whole process group, workers included).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { addLocalApi, mintFor, startServe } from './serve-process';

const SECRET = 'sk-workers-real-secret-0123456789abcdef';

/** One GET on a connection of its own (agent: false), so the primary hands each to the next worker. */
function get(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('broker serve with worker processes', async () => {
  const { home, cleanup } = await tempHome();
  let upstream: Server;
  let seen = 0;
  let connection = '';

  beforeAll(async () => {
    // The service echoes the credential it received: the broker must redact it in every worker.
    upstream = createServer((req, res) => {
      if (req.headers.authorization === `Bearer ${SECRET}`) seen++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ login: 'ada', echo: req.headers.authorization ?? null }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    connection = await addLocalApi(home, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, SECRET);
  });

  afterAll(async () => {
    await new Promise((resolve) => upstream.close(resolve));
    await cleanup();
  });

  /** Serves with `workers`, calls, revokes from another process, calls again, then Ctrl-C: checks processes, answers and audit rows. */
  async function serveRevokeStop(workers: number | undefined, children: number, skill: string): Promise<void> {
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: workers === undefined ? {} : { Workers: workers } } }));
    seen = 0;
    // Its own process group, as in a terminal: Ctrl-C is sent to every process of it.
    const { proc: serve, url, children: kids, stderr, closed } = await startServe(home, { detached: true });
    try {
      assert.equal(kids.length, children, `serving workers and the checkpointing one: ${kids.join(' ')}`);

      const { token, id } = await mintFor(home, skill, connection);
      // Every worker serves (and remembers the token check) before the revocation.
      const before = await Promise.all(Array.from({ length: 12 }, () => get(`${url}/v1/proxy/${connection}/user`, token)));
      for (const r of before) {
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(JSON.parse(r.body), { login: 'ada', echo: '[REDACTED]' });
      }
      assert.equal((await sophon(['broker', 'revoke', id], { home })).code, 0);
      const afterRevoke = await Promise.all(Array.from({ length: 12 }, () => get(`${url}/v1/proxy/${connection}/user`, token)));
      for (const r of afterRevoke) {
        assert.equal(r.status, 401, r.body);
        assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'token_revoked');
      }
    } finally {
      process.kill(-serve.pid!, 'SIGINT');
    }
    assert.equal(await closed, 0, stderr());
    assert.equal(spawnSync('pgrep', ['-g', String(serve.pid)], { encoding: 'utf8' }).stdout.trim(), '', 'no worker left behind');
    const rows = json<{ rows: { action: string; outcome: string; detail: string | null }[] }>(await sophon(['audit', '--skill', skill, '--limit', '1000', '--json'], { home })).rows;
    assert.equal(seen, 12);
    assert.equal(rows.filter((r) => r.action === 'broker_use' && r.outcome === 'ok').length, 12, 'every forwarded call has its row');
    assert.equal(rows.filter((r) => r.action === 'broker_use' && r.outcome === 'denied' && /token_revoked/.test(r.detail ?? '')).length, 12, 'every refusal has its row');
    assert.ok(!JSON.stringify(rows).includes(SECRET));
  }

  test('three workers (and a checkpointing one) share the port; a revocation from another process is refused by each at once; Ctrl-C loses no audit row', () => serveRevokeStop(3, 4, 'three'));

  test('by default two workers (and a checkpointing one) serve: the same, and nothing is left running', () => serveRevokeStop(undefined, 3, 'default'));

  test('with Workers 1 the command serves in its own process (its WAL checkpoints in a worker): the same', () => serveRevokeStop(1, 1, 'one'));
});
