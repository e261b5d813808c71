import type { CliIO } from './io';
import { SophonError } from '../core/errors';

/**
 * Secrets enter through a hidden prompt on a terminal, or through stdin with --secret-stdin; never
 * through argv or the environment, where other processes and shell history can read them.
 */
export async function readSecret(io: CliIO, label: string, fromStdin: boolean, flag = '--secret-stdin'): Promise<string> {
  if (fromStdin) return readStdin(flag);
  if (!io.isTTY) {
    throw new SophonError('usage', `A ${label} is needed: pipe it in with ${flag}, or run this in a terminal to be asked for it.`);
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

export async function confirm(io: CliIO, message: string): Promise<boolean> {
  if (!io.isTTY) return true;
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false }, { output: process.stderr });
}
