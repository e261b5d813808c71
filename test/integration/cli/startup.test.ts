import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createCore } from '../../../electron/core/sophon-core';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'sophon.cjs');
const CONNECTIONS = 300; // ~140 KB of JSON: more than a pipe holds, so writes must wait for the reader

/** Built-in modules `connect list` must not load: each was once loaded at every start. */
const NOT_AT_START = ['crypto', 'child_process', 'net', 'tty', 'stream', 'readline', 'assert', 'dgram', 'os'];

describe('the CLI starts with only what a command needs', () => {
  let home: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    const core = await createCore({ home });
    try {
      for (let i = 0; i < CONNECTIONS; i++) {
        await core.connections.add('default', { serviceId: 'openai', label: `Key ${i}`, secret: `sk-startup-${i}-${'x'.repeat(40)}`, test: false });
      }
    } finally {
      core.close();
    }
  });
  afterAll(() => cleanup());

  test('connect list --json loads no crypto, child_process, net, tty, stream or os module, and prints every connection', async () => {
    const report = join(home, 'modules.json');
    const preload = join(home, 'modules.cjs');
    await writeFile(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`,
    );
    const r = spawnSync(process.execPath, ['-r', preload, BIN, 'connect', 'list', '--json'], {
      env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(json<{ connections: unknown[] }>({ code: 0, stdout: r.stdout, stderr: '' }).connections.length, CONNECTIONS);
    const loaded = new Set((JSON.parse(await readFile(report, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)));
    const unexpected = NOT_AT_START.filter((m) => loaded.has(m));
    assert.deepEqual(unexpected, [], `loaded at start: ${unexpected.join(', ')}`);
  });

  test('the lazily loaded modules still work when a command needs them: add (crypto) and the human table', async () => {
    const added = await sophon(['connect', 'add', 'openai', '--label', 'Lazy', '--secret-stdin', '--no-test', '--json'], { home, stdin: 'sk-lazy-crypto-' + 'y'.repeat(40) });
    assert.equal(added.code, 0, added.stderr);
    const id = json<{ connection: { id: string } }>(added).connection.id;
    assert.match(id, /^openai-[0-9a-f]{10}$/);
    const table = await sophon(['connect', 'list'], { home });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`${id}\\s+openai\\s+Lazy`));
    assert.equal(table.stdout.trimEnd().split('\n').length, CONNECTIONS + 2);
    assert.equal((await sophon(['connect', 'remove', id, '--yes', '--json'], { home })).code, 0);
  });

  test('V8 accepts the code cache the build made for each bundle: the full CLI, and the one for connect list', () => {
    for (const bundle of ['full', 'list']) {
      const r = spawnSync(
        process.execPath,
        ['-e', `const cli = require(${JSON.stringify(join(ROOT, 'bin', 'load.cjs'))}).loadCli({ bundle: '${bundle}' }); process.stdout.write(JSON.stringify({ main: typeof cli.exports.main, rejected: cli.script.cachedDataRejected }));`],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { main: 'function', rejected: false }, bundle);
    }
  });

  test('the list bundle runs a plain connect list itself, and hands any other command line back having printed nothing', () => {
    const script = `
      const cli = require(${JSON.stringify(join(ROOT, 'bin', 'load.cjs'))}).loadCli({ bundle: 'list' });
      const seen = [];
      const io = { out: (t) => seen.push(t), err: (t) => seen.push(t), json: (v) => seen.push(v.connections.length), color: false, isTTY: false };
      (async () => {
        const list = await cli.exports.main(['connect', 'list', '--json'], io, process.env);
        const printed = seen.length;
        const others = [];
        for (const argv of [['connect', 'list', '--available'], ['connect', 'list', '--bogus'], ['--help'], ['connect', 'add', 'openai']]) others.push(await cli.exports.main(argv, io, process.env));
        process.stdout.write(JSON.stringify({ list, printed, listed: seen[0], others: others.map(String), after: seen.length }));
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, SOPHON_HOME: home }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { list: 0, printed: 1, listed: CONNECTIONS, others: ['undefined', 'undefined', 'undefined', 'undefined'], after: 1 });
  });

  test('without a code cache, with one V8 refuses, or with one made for another build, the CLI compiles and runs the same', async () => {
    const copy = join(home, 'install');
    await mkdir(join(copy, 'dist', 'cli'), { recursive: true });
    await cp(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
    for (const bundle of ['sophon.cjs', 'sophon-list.cjs']) await cp(join(ROOT, 'dist', 'cli', bundle), join(copy, 'dist', 'cli', bundle));
    await cp(join(ROOT, 'package.json'), join(copy, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const run = () =>
      spawnSync(process.execPath, [join(copy, 'bin', 'sophon.cjs'), 'connect', 'list', '--json'], {
        env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
    const expected = spawnSync(process.execPath, [BIN, 'connect', 'list', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout;
    const none = run();
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, expected);
    for (const cache of ['sophon.cjs.cache', 'sophon-list.cjs.cache']) await writeFile(join(copy, 'dist', 'cli', cache), Buffer.from('not a V8 code cache'));
    const bad = run();
    assert.equal(bad.status, 0, bad.stderr);
    assert.equal(bad.stderr, '');
    assert.equal(bad.stdout, expected);
    // A real cache made for another build (V8 itself would only compare the source's length): not used.
    const real = await readFile(join(ROOT, 'dist', 'cli', 'sophon.cjs.cache'));
    const realList = await readFile(join(ROOT, 'dist', 'cli', 'sophon-list.cjs.cache'));
    await writeFile(join(copy, 'dist', 'cli', 'sophon.cjs.cache'), Buffer.concat([Buffer.from('0123456789abcdef\n'), real.subarray(17)]));
    await writeFile(join(copy, 'dist', 'cli', 'sophon-list.cjs.cache'), Buffer.concat([Buffer.from('0123456789abcdef\n'), realList.subarray(17)]));
    for (const [bundle, cache] of [['full', real], ['list', realList]] as const) {
      const probe = spawnSync(
        process.execPath,
        ['-e', `const cli = require(${JSON.stringify(join(copy, 'bin', 'load.cjs'))}).loadCli({ bundle: '${bundle}' }); process.stdout.write(JSON.stringify({ buildId: cli.buildId, rejected: cli.script.cachedDataRejected ?? 'not used' }));`],
        { encoding: 'utf8' },
      );
      assert.equal(probe.status, 0, probe.stderr);
      const { buildId, rejected } = JSON.parse(probe.stdout) as { buildId: string; rejected: unknown };
      assert.equal(buildId, cache.subarray(0, 16).toString('latin1'), bundle);
      assert.equal(rejected, 'not used', bundle);
    }
    const other = run();
    assert.equal(other.status, 0, other.stderr);
    assert.equal(other.stdout, expected);
    await rm(copy, { recursive: true, force: true });
  });

  test('a reader that stops early (`| head`) ends the output quietly, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'connect', 'list', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await closed;
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  test('a reader that starts reading late gets all of it, in order', async () => {
    const child = spawn(process.execPath, [BIN, 'connect', 'list', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise((resolve) => child.stdout.on('end', resolve));
    // Listening (so Node does not drain it when the child exits) but not reading for a while: what does
    // not fit in the pipe waits for the reader.
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdout.resume();
    const [code] = await Promise.all([closed, ended]);
    assert.equal(code, 0, stderr);
    const text = Buffer.concat(chunks).toString('utf8');
    assert.ok(text.endsWith('}\n'), `output cut at ${text.length} bytes: …${text.slice(-80)}`);
    const out = JSON.parse(text) as { connections: { label: string }[] };
    assert.equal(out.connections.length, CONNECTIONS);
  });
});
