import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errnoOf } from '../../electron/core/errors';

/**
 * A small tmpfs of its own: a real read-only folder (root ignores permission bits, not a read-only
 * mount) and a real full disk. Needs root and mount(2), which the test machines have.
 */
export interface Tmpfs {
  dir: string;
  readOnly(on: boolean): void;
  /** Writes a filler file until the file system has no free block left. */
  fill(): Promise<void>;
  /** Removes the filler. */
  unfill(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function mountTmpfs(sizeKb: number): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    readOnly: (on) => execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir]),
    async fill() {
      try {
        await writeFile(filler, Buffer.alloc(sizeKb * 1024));
      } catch (err) {
        if (errnoOf(err) !== 'ENOSPC') throw err;
      }
    },
    unfill: () => rm(filler, { force: true }),
    async cleanup() {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
