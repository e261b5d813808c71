// `sophon broker serve` in one process hands its audit rows to its checkpointing worker, which hashes and
// inserts them (AuditPipe). Every forwarded call keeps its row, the chain verifies, and when that worker
// is killed the serving process writes the rows itself: none is lost, none is written twice.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { addLocalApi, mintFor, startServe } from './serve-process';

const SECRET = 'sk-audit-writer-secret-0123456789abcdef';

function get(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('broker serve: audit rows written by the checkpointing worker', async () => {
  const { home, cleanup } = await tempHome();
  let upstream: Server;
  let connection = '';

  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"login":"ada"}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: { Workers: 1 } } }));
    connection = await addLocalApi(home, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, SECRET);
  });

  afterAll(async () => {
    await new Promise((resolve) => upstream.close(resolve));
    await cleanup();
  });

  async function serve(skill: string, during: (call: () => Promise<void>, writer: number) => Promise<void>): Promise<{ stderr: string }> {
    const { token } = await mintFor(home, skill, connection);
    const { proc, url, children: kids, stderr, closed } = await startServe(home);
    try {
      assert.equal(kids.length, 1, 'the checkpointing (and audit-writing) worker');
      await during(async () => assert.equal(await get(`${url}/v1/proxy/${connection}/user`, token), 200), Number(kids[0]));
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await closed, 0, stderr());
    return { stderr: stderr() };
  }

  const okRows = async (skill: string) =>
    json<{ rows: { action: string; outcome: string }[] }>(await sophon(['audit', '--skill', skill, '--limit', '1000', '--json'], { home })).rows.filter((r) => r.action === 'broker_use' && r.outcome === 'ok').length;

  test('every call has its row after SIGTERM, the rows came through the worker, and the chain verifies', async () => {
    await serve('piped', async (call) => {
      for (let i = 0; i < 40; i++) await call();
      await Promise.all(Array.from({ length: 40 }, call));
    });
    assert.equal(await okRows('piped'), 80);
    const verified = await sophon(['audit', 'verify', '--json'], { home });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  test('the worker killed while serving: rows it did not acknowledge, and every later row, are written by the serving process', async () => {
    await serve('writer-killed', async (call, writer) => {
      for (let i = 0; i < 30; i++) await call();
      process.kill(writer, 'SIGKILL');
      // Calls go on at once, while the serving process may not have seen the worker's exit yet.
      await Promise.all(Array.from({ length: 30 }, call));
      for (let i = 0; i < 10; i++) await call();
    });
    // A batch the worker committed just before it was killed is written again under its id, and skipped: exactly once.
    assert.equal(await okRows('writer-killed'), 70);
    const verified = await sophon(['audit', 'verify', '--json'], { home });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});
