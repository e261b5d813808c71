import { promises as fsp } from 'node:fs';
import { errnoOf } from '../errors';

/** A CLI's store file that could not be used; the message names the file and the problem, never its content. */
export class StoreProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreProblem';
  }
}

export interface StoreFile {
  text: string;
  /** Identity of this version of the file: a rewrite changes it. */
  signature: string;
  warnings: string[];
}

const MAX_BYTES = 1024 * 1024;

/**
 * Reads a credential store a CLI owns, read-only. Returns null when it does not exist. A file others
 * can read is used but warned about; unreadable and oversized files are a StoreProblem.
 */
export async function readStoreFile(path: string, what: string, opts: { secretFile: boolean }): Promise<StoreFile | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EACCES' || code === 'EPERM') throw new StoreProblem(`${what} ${path} cannot be read: permission denied.`);
    if (code === 'EISDIR') throw new StoreProblem(`${what} ${path} is a folder, not a file.`);
    throw new StoreProblem(`${what} ${path} cannot be read (${code ?? 'error'}).`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new StoreProblem(`${what} ${path} ${st.isDirectory() ? 'is a folder, not a file' : 'is not a regular file'}.`);
    if (st.size > MAX_BYTES) throw new StoreProblem(`${what} ${path} is larger than 1 MiB; not a credentials file.`);
    let text: string;
    try {
      text = await fh.readFile('utf8');
    } catch (err) {
      throw new StoreProblem(`${what} ${path} cannot be read (${errnoOf(err) ?? 'error'}).`);
    }
    const warnings: string[] = [];
    if (opts.secretFile && process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
      warnings.push(`${what} ${path} can be read by other users (mode ${mode}); run \`chmod 600 ${path}\`.`);
    }
    return { text, signature: `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`, warnings };
  } finally {
    await fh.close();
  }
}

/** JSON.parse whose failure never quotes the text (it may hold a token). */
export function parseStoreJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreProblem(`${what} is not valid JSON.`);
  }
}
