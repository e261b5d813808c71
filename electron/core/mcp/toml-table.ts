import { SophonError } from '../errors';

/**
 * Just enough TOML to own one table, `[mcp_servers.<name>]`, in a file the person (and other tools)
 * also edit: find it, replace it, append it or remove it, leaving every other byte as it was. Anything
 * that could define the same table another way (dotted keys, an inline table, sub-tables, a second
 * header) makes the edit refuse rather than guess.
 */

export type TomlValue = string | string[] | Record<string, string>;

/** A TOML basic string: quotes, backslashes and control characters escaped. */
export function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

function tomlValue(v: TomlValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (Array.isArray(v)) return `[${v.map(tomlString).join(', ')}]`;
  const entries = Object.entries(v);
  return entries.length ? `{ ${entries.map(([k, x]) => `${tomlKey(k)} = ${tomlString(x)}`).join(', ')} }` : '{}';
}

/** The table's text: header and one line per key, ending with a newline. */
export function renderTable(path: readonly string[], values: Record<string, TomlValue>): string {
  const lines = [`[${path.map(tomlKey).join('.')}]`];
  for (const [k, v] of Object.entries(values)) lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
  return `${lines.join('\n')}\n`;
}

interface Line {
  start: number;
  end: number;
  text: string;
  /** The dotted key path of a `[table]` or `[[array]]` header on this line. */
  header?: { path: string[]; array: boolean };
  /** The first key (dotted path) assigned on this line, outside any multi-line string. */
  key?: string[];
}

/** Splits a dotted key (`a."b.c".d`) into its parts; null when it is not one this code understands. */
function splitKey(raw: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  const s = raw.trim();
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    let part: string;
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i]!;
      const close = s.indexOf(q, i + 1);
      if (close < 0) return null;
      part = s.slice(i + 1, close);
      // Escapes in a quoted key: compared raw; a key with escapes is not one Sophon writes, so it can never match ours.
      i = close + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(s.slice(i));
      if (!m) return null;
      part = m[0];
      i += m[0].length;
    }
    parts.push(part);
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i < s.length) {
      if (s[i] !== '.') return null;
      i++;
    }
  }
  return parts.length ? parts : null;
}

/** The file's lines, with headers and keys found outside multi-line strings. */
function scan(text: string): Line[] {
  const lines: Line[] = [];
  let pos = 0;
  let inMulti: '"""' | "'''" | null = null;
  // Open brackets of a multi-line array (or inline table) value: its lines are values, never headers.
  let depth = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const body = text.slice(pos, end).replace(/\r?\n$/, '');
    const line: Line = { start: pos, end, text: body };
    if (inMulti) {
      if (countDelims(body, inMulti) % 2 === 1) inMulti = null;
    } else if (depth > 0) {
      depth = Math.max(0, depth + bracketBalance(body));
    } else {
      const h = /^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$/.exec(body);
      if (h && (h[1] === '[[') === (h[3] === ']]')) {
        const path = splitKey(h[2]!);
        if (!path) throw new SophonError('invalid_input', `cannot read the table header "${body.trim().slice(0, 80)}"`);
        line.header = { path, array: h[1] === '[[' };
      } else {
        const k = /^\s*((?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'))*)\s*=(.*)$/.exec(body);
        if (k) {
          line.key = splitKey(k[1]!) ?? undefined;
          const value = k[2]!;
          for (const d of ['"""', "'''"] as const) {
            if (countDelims(value, d) % 2 === 1) inMulti = d;
          }
          if (!inMulti) depth = Math.max(0, bracketBalance(value));
        }
      }
    }
    lines.push(line);
    pos = end;
  }
  return lines;
}

/** Opening minus closing brackets and braces outside strings and comments. */
function bracketBalance(s: string): number {
  const bare = s.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '').replace(/#.*$/, '');
  let n = 0;
  for (const ch of bare) n += ch === '[' || ch === '{' ? 1 : ch === ']' || ch === '}' ? -1 : 0;
  return n;
}

function countDelims(s: string, d: string): number {
  let n = 0;
  for (let i = s.indexOf(d); i >= 0; i = s.indexOf(d, i + d.length)) n++;
  return n;
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const startsWith = (a: readonly string[], prefix: readonly string[]) => a.length >= prefix.length && prefix.every((x, i) => a[i] === x);

/** Where the table `path` is in `text`: [start, end) of its header through its last key line; null if absent. */
export function findTable(text: string, path: readonly string[]): { start: number; end: number; text: string } | null {
  const lines = scan(text);
  let current: string[] = [];
  let found: { first: number; last: number } | null = null;
  const ambiguous = (why: string): never => {
    throw new SophonError('invalid_input', `${why}; Sophon edits only a plain [${path.join('.')}] table it can replace unambiguously`);
  };
  lines.forEach((line, i) => {
    if (line.header) {
      current = line.header.path;
      if (same(current, path)) {
        if (found || line.header.array) ambiguous(`[${path.join('.')}] is defined more than once`);
        found = { first: i, last: i };
      } else if (startsWith(current, path)) ambiguous(`the file has a sub-table [${current.join('.')}]`);
      else if (startsWith(path, current) && line.header.array) ambiguous(`the file has an array of tables [[${current.join('.')}]]`);
      return;
    }
    if (line.key) {
      const full = [...current, ...line.key];
      // Another way to define our table (dotted keys or an inline table from a parent table).
      if (!same(current, path) && startsWith(full, path)) ambiguous(`the file defines ${path.join('.')} with the key "${line.text.trim().slice(0, 60)}"`);
      if (!same(current, path) && startsWith(path, full)) ambiguous(`the file sets ${full.join('.')} as a value ("${line.text.trim().slice(0, 60)}")`);
    }
    if (found && same(current, path) && line.text.trim() !== '' && !line.text.trim().startsWith('#')) (found as { last: number }).last = i;
  });
  if (!found) return null;
  const { first, last } = found as { first: number; last: number };
  // A multi-line value continues past its key line: the table runs to the last line before the next header that is not blank or a comment.
  let end = last;
  for (let i = last + 1; i < lines.length && !lines[i]!.header; i++) {
    const t = lines[i]!.text.trim();
    if (t !== '' && !t.startsWith('#')) end = i;
  }
  return { start: lines[first]!.start, end: lines[end]!.end, text: text.slice(lines[first]!.start, lines[end]!.end) };
}

/** `text` with the table set to `table` (replaced in place, or appended after a blank line). */
export function upsertTable(text: string, path: readonly string[], table: string): string {
  const at = findTable(text, path);
  if (at) {
    // A last line without a newline stays without one.
    const replacement = at.text.endsWith('\n') ? table : table.replace(/\n$/, '');
    return text.slice(0, at.start) + replacement + text.slice(at.end);
  }
  if (text === '') return table;
  const sep = text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  return `${text}${sep}${table}`;
}

/** `text` without the table (and the blank line upsertTable put before it); unchanged if absent. */
export function removeTable(text: string, path: readonly string[]): string {
  const at = findTable(text, path);
  if (!at) return text;
  let start = at.start;
  const before = text.slice(0, start);
  // The separating blank line, when the table was the last thing in the file.
  if (at.end >= text.length && before.endsWith('\n\n')) start -= 1;
  return text.slice(0, start) + text.slice(at.end);
}
