import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, renameSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DIR_MODE, FILE_MODE } from '../fs/secure-fs';

export interface RotatingFileOptions {
  /** The file rotates once it reaches this many bytes. */
  maxBytes: number;
  /** Rotated files kept next to it (at least 1): `sophon.log.1` (newest) … `sophon.log.<keep>`; older ones are dropped. */
  keep: number;
}

/** A rotation lock older than this was left by a process that died mid-rotation. */
const STALE_LOCK_MS = 10_000;

/**
 * A log file written in whole lines and rotated by size, safe with several processes (the CLI, the app,
 * the broker workers) writing the same file:
 *
 * - Opened with O_APPEND and written with one write() per line: the kernel appends each write at the
 *   current end, so lines of two processes interleave but never overwrite or split each other.
 * - Rotation is a rename (sophon.log → sophon.log.1, after shifting .1 → .2 …), done by one process at a
 *   time under a lock directory (mkdir is atomic). A process that still holds the old file open appends
 *   its next line there — now sophon.log.1 — so that line is kept, just one file older; before each
 *   write a process checks that its descriptor is still the file at the path, and reopens if not.
 * - At most the line being written when a disk fills or a process dies can be lost; nothing earlier.
 */
export class RotatingFile {
  private fd: number | undefined;
  private ino = -1;

  constructor(
    readonly path: string,
    private readonly options: RotatingFileOptions,
  ) {}

  write(line: string): void {
    const fd = this.current();
    writeSync(fd, line);
    if (fstatSync(fd).size >= this.options.maxBytes) this.rotate();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The open descriptor, reopened when another process rotated the file away. */
  private current(): number {
    if (this.fd !== undefined) {
      let atPath = -2;
      try {
        atPath = statSync(this.path).ino;
      } catch {
        // Rotated away and not yet recreated: reopen below creates it.
      }
      if (atPath === this.ino) return this.fd;
      this.close();
    }
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    // A folder made earlier by something else (or a umask): the log's folder is private either way.
    if ((statSync(dir).mode & 0o777) !== DIR_MODE) chmodSync(dir, DIR_MODE);
    const fd = openSync(this.path, 'a', FILE_MODE);
    const st = fstatSync(fd);
    if ((st.mode & 0o777) !== FILE_MODE) chmodSync(this.path, FILE_MODE);
    this.fd = fd;
    this.ino = st.ino;
    return fd;
  }

  private rotate(): void {
    const lock = `${this.path}.rotating`;
    try {
      mkdirSync(lock, { mode: DIR_MODE });
    } catch {
      // Another process is rotating (its rename makes us reopen on the next write), or died doing so.
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmdirSync(lock);
      } catch {
        // Gone meanwhile: the other process finished.
      }
      return;
    }
    try {
      // Under the lock, check again: another process may have rotated between our write and the lock.
      let size = 0;
      try {
        const st = statSync(this.path);
        size = st.size;
      } catch {
        return;
      }
      if (size < this.options.maxBytes) return;
      for (let i = this.options.keep - 1; i >= 1; i--) renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameSync(this.path, `${this.path}.1`);
      this.close();
    } finally {
      rmdirSync(lock);
    }
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
