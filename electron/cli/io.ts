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
  const color = !process.env.NO_COLOR && process.stdout.isTTY === true && process.env.TERM !== 'dumb';
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
    json: (value) => process.stdout.write(JSON.stringify(value, null, 2) + '\n'),
    color,
    isTTY: process.stdin.isTTY === true && process.stderr.isTTY === true,
  };
}

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
