import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { ErrorCode } from '../../../shared/errors';
import { isSophonError } from '../../../electron/core/errors';
import { atomicWriteFile, createFileExclusive, ensurePrivateDir } from '../../../electron/core/fs/secure-fs';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs';

/** The SophonError a write failed with, checked to be one line naming `path`. */
async function failure(write: Promise<unknown>, code: ErrorCode, path: string): Promise<string> {
  const err = await write.then(
    () => assert.fail('expected the write to fail'),
    (e: unknown) => e,
  );
  assert.ok(isSophonError(err, code), `expected ${code}, got ${String(err)}`);
  assert.ok(!err.message.includes('\n'));
  assert.ok(err.message.startsWith(`Cannot write ${path}: `), err.message);
  return err.message;
}

describe('secure-fs on a real full disk and a real read-only mount (tmpfs): one-line errors naming the file, nothing half-written', () => {
  let fs: Tmpfs;
  beforeAll(async () => {
    fs = await mountTmpfs(256);
  });
  afterAll(() => fs?.cleanup());

  test('full: storage_full; the old content stays and no temp file is left', async () => {
    const file = join(fs.dir, 'a.vault');
    await atomicWriteFile(file, 'old');
    await fs.fill();
    try {
      assert.match(await failure(atomicWriteFile(file, Buffer.alloc(64 * 1024, 1)), 'storage_full', file), /the disk is full \((ENOSPC|EDQUOT)\); free some space/);
      await failure(createFileExclusive(join(fs.dir, 'b.vault'), Buffer.alloc(64 * 1024, 1)), 'storage_full', join(fs.dir, 'b.vault'));
      assert.equal(await readFile(file, 'utf8'), 'old');
      assert.deepEqual((await readdir(fs.dir)).sort(), ['a.vault', 'filler']);
    } finally {
      await fs.unfill();
    }
  });

  test('read-only: storage_readonly for a file and for a folder to create (which mkdir reports as ENOENT)', async () => {
    await mkdir(join(fs.dir, 'vault'), { mode: 0o700 });
    await writeFile(join(fs.dir, 'vault', 'x.vault'), 'x');
    fs.readOnly(true);
    try {
      const file = join(fs.dir, 'vault', 'x.vault');
      assert.match(await failure(atomicWriteFile(file, 'new'), 'storage_readonly', file), /is on a read-only file system \(EROFS\)/);
      const dir = join(fs.dir, 'connectors', 'deeper');
      await failure(ensurePrivateDir(dir), 'storage_readonly', dir);
      assert.equal(await readFile(file, 'utf8'), 'x');
    } finally {
      fs.readOnly(false);
    }
  });
});
