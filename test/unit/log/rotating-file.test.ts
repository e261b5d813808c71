import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { RotatingFile } from '../../../electron/core/log/rotating-file';

describe('the log file rotates by size, privately, without losing lines of two writers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-rot-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const linesIn = async (folder: string) => {
    const all: string[] = [];
    for (const name of (await readdir(folder)).filter((n) => n.startsWith('sophon.log'))) {
      all.push(...(await readFile(join(folder, name), 'utf8')).split('\n').filter(Boolean));
    }
    return all;
  };

  test('made 0600 in a 0700 folder; at the size limit sophon.log becomes .1, .1 becomes .2, and only `keep` old files stay', async () => {
    const folder = join(dir, 'a', 'logs');
    const file = new RotatingFile(join(folder, 'sophon.log'), { maxBytes: 1000, keep: 2 });
    const line = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(80) })}\n`;
    for (let i = 0; i < 60; i++) file.write(line(i));
    file.close();
    assert.equal((await stat(folder)).mode & 0o777, 0o700);
    const names = (await readdir(folder)).sort();
    assert.deepEqual(names, ['sophon.log', 'sophon.log.1', 'sophon.log.2']);
    for (const n of names) assert.equal((await stat(join(folder, n))).mode & 0o777, 0o600, n);
    for (const n of ['sophon.log.1', 'sophon.log.2']) assert.ok((await stat(join(folder, n))).size >= 1000, `${n} was rotated at the limit`);
    assert.ok((await stat(join(folder, 'sophon.log'))).size < 1000);
    // The newest lines are in sophon.log, the ones before in .1, then .2; older ones were dropped.
    const order = ['sophon.log.2', 'sophon.log.1', 'sophon.log'];
    const seq = (await Promise.all(order.map((n) => readFile(join(folder, n), 'utf8')))).join('').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i);
    assert.equal(seq.at(-1), 59);
    assert.deepEqual(seq, seq.slice().sort((a, b) => a - b), 'in order across the files');
    assert.ok(seq[0]! > 0, 'the oldest lines were dropped');
  });

  test('two writers (as the CLI and the app) sharing the file: each line whole, none lost, while one rotates under the other', async () => {
    const folder = join(dir, 'b');
    const path = join(folder, 'sophon.log');
    const a = new RotatingFile(path, { maxBytes: 4000, keep: 1000 });
    const b = new RotatingFile(path, { maxBytes: 4000, keep: 1000 });
    for (let i = 0; i < 1500; i++) {
      a.write(`${JSON.stringify({ w: 'a', i })}\n`);
      b.write(`${JSON.stringify({ w: 'b', i, pad: 'y'.repeat(i % 50) })}\n`);
    }
    a.close();
    b.close();
    const lines = await linesIn(folder);
    assert.ok((await readdir(folder)).length > 10, 'it did rotate, many times');
    const seen = { a: new Set<number>(), b: new Set<number>() };
    for (const l of lines) {
      const r = JSON.parse(l) as { w: 'a' | 'b'; i: number };
      seen[r.w].add(r.i);
    }
    assert.equal(seen.a.size, 1500);
    assert.equal(seen.b.size, 1500);
    assert.equal(lines.length, 3000);
  });
});
