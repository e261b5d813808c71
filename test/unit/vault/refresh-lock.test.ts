import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { acquireRefreshLock, processStartTime, RefreshLockBusyError, settleRefreshLock } from '../../../electron/core/vault/refresh-lock';

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('refresh lock: a dead owner is taken over at once, a live one is waited for', () => {
  let dir: string;
  let file: string;
  let lock: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sophon-lock-'));
    file = join(dir, 'alice_c1.vault');
    lock = `${file}.refresh.lock`;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A real other process, and a lock file naming it as owner (with its real or a wrong start time). */
  async function otherOwner(startTime: (real: string | null) => string | null) {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const pid = child.pid!;
    await writeFile(lock, JSON.stringify({ pid, start: startTime(processStartTime(pid)), host: hostname(), nonce: 'other' }));
    return { pid, kill: async () => { child.kill('SIGKILL'); await once(child, 'exit'); } };
  }

  test('the start time of a process is read from /proc (field 22)', () => {
    assert.match(processStartTime(process.pid) ?? '', /^\d+$/);
    assert.equal(processStartTime(2 ** 22 + 12345), null);
  });

  test('a live owner: acquiring waits and then gives up; verify leaves the lock alone', async () => {
    const owner = await otherOwner((real) => real);
    try {
      const started = Date.now();
      await assert.rejects(acquireRefreshLock(file, 400), RefreshLockBusyError);
      assert.ok(Date.now() - started >= 400);
      assert.equal(await settleRefreshLock(dir, 'alice_c1.vault.refresh.lock'), true);
      assert.ok(await exists(lock));
    } finally {
      await owner.kill();
    }
    // Its owner now dead: taken over at once.
    const started = Date.now();
    const release = await acquireRefreshLock(file, 60_000);
    assert.ok(Date.now() - started < 1000);
    await release();
    assert.equal(await exists(lock), false);
  });

  test('a reused pid (alive, but started at another time) does not keep the lock', async () => {
    const owner = await otherOwner((real) => String(Number(real) + 1));
    try {
      const release = await acquireRefreshLock(file, 400);
      await release();
    } finally {
      await owner.kill();
    }
  });

  test('verify removes a dead owner\'s lock and a takeover folder left by a crash, and knows other names are not locks', async () => {
    const owner = await otherOwner((real) => real);
    await owner.kill();
    assert.equal(await settleRefreshLock(dir, 'alice_c1.vault.refresh.lock'), true);
    assert.equal(await exists(lock), false);
    const takeover = `${lock}.takeover`;
    await mkdir(takeover);
    const old = new Date(Date.now() - 60_000);
    await utimes(takeover, old, old);
    assert.equal(await settleRefreshLock(dir, 'alice_c1.vault.refresh.lock.takeover'), true);
    assert.equal(await exists(takeover), false);
    assert.equal(await settleRefreshLock(dir, 'notes.txt'), false);
  });

  test('an owner it cannot check (an older Sophon\'s lock folder, another host) counts as live until untouched for 30 s', async () => {
    await mkdir(lock);
    await assert.rejects(acquireRefreshLock(file, 300), RefreshLockBusyError);
    const old = new Date(Date.now() - 31_000);
    await utimes(lock, old, old);
    const release = await acquireRefreshLock(file, 300);
    await release();
    await writeFile(lock, JSON.stringify({ pid: 1, start: null, host: 'another-machine', nonce: 'x' }));
    await assert.rejects(acquireRefreshLock(file, 300), RefreshLockBusyError);
    await rm(lock);
  });

  test('two takers: exactly one holds the lock at a time', async () => {
    const releaseA = await acquireRefreshLock(file, 1000);
    const b = acquireRefreshLock(file, 5000);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(await exists(lock));
    await releaseA();
    const releaseB = await b;
    await releaseB();
    assert.deepEqual(await readdir(dir), []);
  });
});
