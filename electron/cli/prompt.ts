import { withArticle } from '../../shared/auth-names';
import type { CliIO } from './io';

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
import { SophonError } from '../core/errors';

/**
 * Secrets enter through a hidden prompt on a terminal, or through stdin with --secret-stdin; never
 * through argv or the environment, where other processes and shell history can read them.
 */
export async function readSecret(io: CliIO, label: string, fromStdin: boolean, flag = '--secret-stdin'): Promise<string> {
  if (fromStdin) return readStdin(flag);
  if (!io.isTTY) {
    throw new SophonError('usage', `${capital(withArticle(label))} is needed: pipe it in with ${flag}, or run this in a terminal to be asked for it.`);
  }
  const { password } = await import('@inquirer/prompts');
  return password({ message: `${label}:`, mask: false }, { output: process.stderr });
}

async function readStdin(flag: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > 64 * 1024) throw new SophonError('invalid_input', 'The secret on stdin is larger than 64 KiB.');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!text) throw new SophonError('invalid_input', `${flag} was given but stdin was empty.`);
  return text;
}

export async function askText(io: CliIO, message: string, fallback?: string): Promise<string | undefined> {
  if (!io.isTTY) return undefined;
  const { input } = await import('@inquirer/prompts');
  return input({ message, default: fallback }, { output: process.stderr });
}

export async function askSecretField(io: CliIO, message: string): Promise<string | undefined> {
  if (!io.isTTY) return undefined;
  const { password } = await import('@inquirer/prompts');
  return password({ message, mask: false }, { output: process.stderr });
}

export async function choose<T extends string>(io: CliIO, message: string, choices: { value: T; name: string }[]): Promise<T | undefined> {
  if (!io.isTTY) return undefined;
  const { select } = await import('@inquirer/prompts');
  return select({ message, choices }, { output: process.stderr });
}

/**
 * A yes/no question, default no. Without a terminal there is nobody to answer: the caller's `--yes`
 * flag (named in `yes`) is the only way, as with gh — never a silent yes.
 */
export async function confirm(io: CliIO, message: string, yes = '--yes'): Promise<boolean> {
  if (!io.isTTY) throw new SophonError('usage', `Not on a terminal, so nobody can confirm; add ${yes} to go ahead. Nothing was changed.`);
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false }, { output: process.stderr });
}
