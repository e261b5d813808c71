import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * Everything the CLI prints goes through here, so commands stay testable and `NO_COLOR` / `--json`
 * are honoured in one place. Commands return an exit code; only main.ts ends the process.
 */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  json(value: unknown): void;
  color: boolean;
  isTTY: boolean;
}

export function processIO(): CliIO {
  const out = directWriter(1, () => process.stdout);
  const err = directWriter(2, () => process.stderr);
  let color: boolean | undefined;
  let isTTY: boolean | undefined;
  return {
    out: (text) => out(text.endsWith('\n') ? text : text + '\n'),
    err: (text) => err(text.endsWith('\n') ? text : text + '\n'),
    json: (value) => out(JSON.stringify(value, null, 2) + '\n'),
    // Asked only when needed: node:tty loads node:net (the CLI bundle loads it on first call).
    get color() {
      return (color ??= !process.env.NO_COLOR && process.env.TERM !== 'dumb' && isatty(1));
    },
    get isTTY() {
      return (isTTY ??= isatty(0) && isatty(2));
    },
  };
}

/**
 * At most this many UTF-16 units per write: for each write of a string Node allocates 3 bytes per unit
 * to encode it, and for a large string (`connect list --json` of 1,000 connections is ~460,000) that
 * is fresh memory whose every page the kernel must map — on some machines more than the writing
 * itself. Pieces this size reuse one small buffer.
 */
export const PIECE = 16_384;

/**
 * Writes straight to the file descriptor. `process.stdout`/`stdin` are streams that Node builds on first
 * use (node:net and node:stream for a pipe, ~25 built-in modules): a command that prints a result
 * should not pay for that at every start. Output stays in order: every write finishes before the next. If the descriptor cannot take
 * more without blocking (a non-blocking pipe that is full), the rest and everything after goes
 * through the stream, which waits. A reader that went away (EPIPE, `sophon … | head`) ends the output.
 * Windows consoles always get the stream.
 */
export function directWriter(fd: number, stream: () => NodeJS.WriteStream): (text: string) => void {
  let mode: 'direct' | 'stream' | 'closed' = process.platform === 'win32' ? 'stream' : 'direct';
  const write = (text: string) => {
    if (mode === 'stream') {
      stream().write(text);
      return;
    }
    if (mode === 'closed') return;
    // The string goes to the descriptor as it is (a blocking descriptor takes it all in one write);
    // only a partial write makes a Buffer of it, to write the rest.
    let data: Buffer | undefined;
    let done = 0;
    try {
      done = writeSync(fd, text);
      const size = Buffer.byteLength(text, 'utf8');
      if (done === size) return;
      data = Buffer.from(text, 'utf8');
      while (done < data.length) done += writeSync(fd, data, done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        mode = 'closed';
        return;
      }
      if (code !== 'EAGAIN') throw err;
      mode = 'stream';
      stream().write((data ?? Buffer.from(text, 'utf8')).subarray(done));
    }
  };
  return (text) => {
    if (text.length <= PIECE) return write(text);
    for (let start = 0; start < text.length; ) {
      let end = Math.min(text.length, start + PIECE);
      // Never between the halves of a surrogate pair: each half alone would be written as U+FFFD.
      if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
      write(text.slice(start, end));
      start = end;
    }
  };
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export function paint(io: CliIO, style: keyof typeof codes, text: string): string {
  return io.color ? `\u001b[${codes[style]}m${text}\u001b[0m` : text;
}

/** A plain aligned table; widths from the content. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
