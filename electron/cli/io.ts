import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { stripVTControlCharacters, styleText } from 'node:util';

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
  /** The terminal's width for tables to fit; undefined when stdout is not a terminal (a pipe gets every value whole). */
  columns: number | undefined;
}

export function processIO(): CliIO {
  const out = directWriter(1, () => process.stdout);
  const err = directWriter(2, () => process.stderr);
  let color: boolean | undefined;
  let isTTY: boolean | undefined;
  let columns: number | undefined | null = null;
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
    // process.stdout is built only on a terminal (a pipe never pays for node:net and node:stream).
    get columns() {
      if (columns === null) columns = isatty(1) ? process.stdout.columns || 80 : undefined;
      return columns;
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
 * Fast path 9 (the list at the top of bin/sophon.cjs).
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

type Style = 'red' | 'green' | 'yellow' | 'dim' | 'bold';
export function paint(io: CliIO, style: Style, text: string): string {
  // io.color has already weighed NO_COLOR, --no-color and the terminal; styleText must not look at process.stdout.
  return io.color ? styleText(style, text, { validateStream: false }) : text;
}

/** Columns a string takes on a terminal: colour codes take none. (Wide CJK and emoji are counted as one.) */
export const visibleWidth = (text: string): number => stripVTControlCharacters(text).length;

/** `text` cut to `width` visible columns, ending in an ellipsis when cut (a cut cell loses its colour). */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  const plain = stripVTControlCharacters(text);
  return width <= 1 ? plain.slice(0, width) : plain.slice(0, width - 1).trimEnd() + '…';
}

export interface TableFit {
  /** The width to fit (io.columns); undefined: no limit. */
  width: number | undefined;
  /** Column indexes dropped, in this order, while the table is too wide. */
  drop?: readonly number[];
  /** Column indexes that may be cut with an ellipsis, widest first, down to their heading's width (at least 6). */
  shrink?: readonly number[];
}

const GAP = 2;
const MIN_SHRUNK = 6;
const READABLE = 20;

/**
 * An aligned table, widths from the visible text. Given a width (a terminal's), it fits: the `drop`
 * columns go, in order, while cutting the `shrink` ones to 20 columns would not be enough; then the
 * `shrink` columns are cut, widest first. A table that still does not fit wraps.
 */
export function table(rows: string[][], fit: TableFit = { width: undefined }): string {
  let columns = (rows[0] ?? []).map((_, i) => i);
  const natural = (i: number) => Math.max(...rows.map((r) => visibleWidth(r[i] ?? '')));
  const widths = new Map(columns.map((i) => [i, natural(i)]));
  const total = () => columns.reduce((sum, i) => sum + widths.get(i)!, 0) + GAP * Math.max(0, columns.length - 1);
  if (fit.width !== undefined) {
    // A column is dropped only while the table would not fit even with the shrinkable ones cut to a readable width.
    const atBest = () => total() - (fit.shrink ?? []).filter((i) => columns.includes(i)).reduce((cut, i) => cut + Math.max(0, widths.get(i)! - READABLE), 0);
    for (const i of fit.drop ?? []) {
      if (atBest() <= fit.width) break;
      columns = columns.filter((c) => c !== i);
    }
    const shrinkable = (fit.shrink ?? []).filter((i) => columns.includes(i));
    const floor = (i: number) => Math.max(MIN_SHRUNK, visibleWidth(rows[0]?.[i] ?? ''));
    while (total() > fit.width) {
      const widest = shrinkable.filter((i) => widths.get(i)! > floor(i)).sort((a, b) => widths.get(b)! - widths.get(a)!)[0];
      if (widest === undefined) break;
      widths.set(widest, widths.get(widest)! - 1);
    }
  }
  return rows
    .map((row) =>
      columns
        .map((i, n) => {
          const cell = truncate(row[i] ?? '', widths.get(i)!);
          return n === columns.length - 1 ? cell : cell + ' '.repeat(widths.get(i)! - visibleWidth(cell));
        })
        .join(' '.repeat(GAP))
        .trimEnd(),
    )
    .join('\n');
}
