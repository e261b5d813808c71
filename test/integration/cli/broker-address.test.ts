import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { firstLine } from '../../helpers/child';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

describe('broker mint says where the running broker is', async () => {
  const { home, cleanup } = await tempHome();
  let connection = '';
  const mint = (...extra: string[]) => sophon(['broker', 'mint', '--skill', 's', '--tool', 't', '--connection', connection, ...extra], { home });
  beforeAll(async () => {
    const added = await sophon(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--json'], { home, stdin: 'sk-address-' + 'a'.repeat(40) });
    assert.equal(added.code, 0, added.stderr);
    connection = json<{ connection: { id: string } }>(added).connection.id;
  });
  afterAll(() => cleanup());

  test('no broker: it says so, and how to start one; the expiry is local time', async () => {
    const r = await mint();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\n/);
    assert.match(r.stderr, /No broker is running here: start one with `sophon broker serve`/);
    assert.equal(json<{ brokerUrl: string | null }>(await mint('--json')).brokerUrl, null);
  });

  test('while broker serve runs: its address (from SOPHON_HOME/run/broker.json, 0600); gone when it stops', async () => {
    const serve = spawn(process.execPath, [BIN, 'broker', 'serve', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' } });
    const closed = new Promise<number | null>((resolve) => serve.on('close', resolve));
    try {
      const { url } = JSON.parse(await firstLine(serve)) as { url: string };
      const r = await mint();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`The broker is running at ${url.replace(/[.]/g, '\\.')}\\n`));
      assert.equal(json<{ brokerUrl: string | null }>(await mint('--json')).brokerUrl, url);
      assert.equal((await stat(join(home, 'run', 'broker.json'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(home, 'run'))).mode & 0o777, 0o700);
    } finally {
      serve.kill('SIGINT');
    }
    assert.equal(await closed, 0);
    await assert.rejects(stat(join(home, 'run', 'broker.json')), { code: 'ENOENT' });
    assert.match((await mint()).stderr, /No broker is running here/);
  });

  test('an address left by a broker that died is ignored', async () => {
    await mkdir(join(home, 'run'), { recursive: true, mode: 0o700 });
    // A process id no process has (above the kernel's pid_max).
    await writeFile(join(home, 'run', 'broker.json'), JSON.stringify({ url: 'http://127.0.0.1:9', port: 9, pid: 2 ** 22 + 1 }), { mode: 0o600 });
    assert.match((await mint()).stderr, /No broker is running here/);
  });
});
