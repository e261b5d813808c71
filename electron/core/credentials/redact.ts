import { StringDecoder } from 'node:string_decoder';

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not searched for: replacing every "ab" would shred any answer. */
export const MIN_REDACTABLE_LENGTH = 6;

/**
 * Inner base64 runs (the secret at an unknown alignment inside a larger blob) shorter than this are not
 * searched for: a 6-character secret gives runs of 7 characters (42 bits); 8 keeps every run at 48 bits
 * or more, so a match by chance in a 16 MiB answer stays below one in a million. Every other form is at
 * least as long as the secret itself.
 */
export const MIN_ENCODED_LENGTH = 8;

/**
 * The base64 characters that depend only on the secret's bytes when it sits at byte offset 0, 1 or 2
 * of a larger encoded blob (offset mod 3 is all that matters): the secret is encoded after that many
 * filler bytes, and the edge characters that mix in neighbouring bytes (or padding) are dropped.
 */
function base64Runs(bytes: Buffer): string[] {
  const runs: string[] = [];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    runs.push(encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)));
  }
  return runs;
}

/** Every byte as %XX. */
function percentEveryByte(bytes: Buffer): string {
  return bytes.toString('hex').replace(/../g, '%$&');
}

/**
 * The forms a secret commonly travels in, or that a hostile service can choose to send it back in: as
 * is, URL-encoded (both `%20` and `+` for spaces, upper- and lowercase hex, and every byte encoded),
 * base64 (standard, padded and not, URL-safe, and at each byte alignment inside a larger base64 blob),
 * hex (both cases), and JSON-escaped.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>();
  if (secret.length < MIN_REDACTABLE_LENGTH) return [];
  const add = (s: string) => {
    if (s.length >= MIN_REDACTABLE_LENGTH) forms.add(s);
  };
  const bytes = Buffer.from(secret, 'utf8');
  const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  add(secret);
  for (const url of [encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]) {
    add(url);
    add(lowerHex(url));
  }
  add(percentEveryByte(bytes));
  add(percentEveryByte(bytes).toUpperCase());
  const b64 = bytes.toString('base64');
  add(b64);
  add(b64.replace(/=+$/, ''));
  add(bytes.toString('base64url'));
  for (const run of base64Runs(bytes)) {
    if (run.length < MIN_ENCODED_LENGTH) continue;
    add(run);
    add(run.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  add(bytes.toString('hex'));
  add(bytes.toString('hex').toUpperCase());
  add(JSON.stringify(secret).slice(1, -1));
  // JSON writers that escape "/" and non-ASCII (\u00e9) as well.
  add(JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'));
  add(secret.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return [...forms];
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Replaces every known secret (in every form above) in text, headers and buffers. Works on bytes
 * (latin1 strings are byte-exact), so a binary or non-UTF-8 body is redacted as well.
 */
export class Redactor {
  /** Byte patterns (as latin1 strings), longest first so a longer form is never half-replaced by a shorter one. */
  private readonly patterns: string[];
  /** All patterns in one alternation (longest first), built once per set of secrets: one pass over a body finds them all. */
  private readonly any: RegExp | null;
  readonly maxLength: number;

  constructor(secrets: Iterable<string | undefined | null>) {
    const all = new Set<string>();
    for (const s of secrets) if (s) for (const f of secretForms(s)) all.add(Buffer.from(f, 'utf8').toString('latin1'));
    this.patterns = [...all].sort((a, b) => b.length - a.length);
    this.any = this.patterns.length ? new RegExp(this.patterns.map(escapeRegExp).join('|'), 'g') : null;
    this.maxLength = this.patterns.reduce((m, p) => Math.max(m, p.length), 0);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Redacts a latin1 (byte) string. */
  private redactBytes(bytes: string): string {
    return this.any ? bytes.replace(this.any, REDACTED) : bytes;
  }

  buffer(body: Buffer): Buffer {
    if (this.empty || body.length === 0) return body;
    const bytes = body.toString('latin1');
    const out = this.redactBytes(bytes);
    return out === bytes ? body : Buffer.from(out, 'latin1');
  }

  text(text: string): string {
    if (this.empty) return text;
    // ASCII text is its own byte string (the common case: header values, JSON): no conversion needed.
    if (!/[\u0080-\uffff]/.test(text)) return this.redactBytes(text);
    return Buffer.from(this.redactBytes(Buffer.from(text, 'utf8').toString('latin1')), 'latin1').toString('utf8');
  }

  /** Whether any pattern occurs in `bytes` starting before `limit`; the earliest such match. */
  earliestMatch(bytes: string, from: number): { index: number; length: number } | null {
    if (!this.any) return null;
    this.any.lastIndex = from;
    const m = this.any.exec(bytes);
    return m ? { index: m.index, length: m[0].length } : null;
  }
}

/**
 * Redacts a stream (a skill's stdout or stderr) whose chunks may split a secret anywhere: the last
 * `maxLength - 1` bytes are held back until more arrives or the stream ends, so no secret is ever
 * written half before its end is seen.
 */
export class StreamRedactor {
  private carry = '';

  constructor(private readonly redactor: () => Redactor) {}

  /** Bytes in, redacted bytes out (possibly fewer: the held-back tail comes with a later chunk or end()). */
  push(chunk: Buffer): Buffer {
    const r = this.redactor();
    const bytes = this.carry + chunk.toString('latin1');
    const hold = Math.max(0, r.maxLength - 1);
    const safe = bytes.length - hold;
    let out = '';
    let pos = 0;
    for (;;) {
      const m = r.earliestMatch(bytes, pos);
      // A match that starts before the safe point lies wholly in `bytes` (it is at most maxLength long).
      if (!m || m.index >= safe) break;
      out += bytes.slice(pos, m.index) + REDACTED;
      pos = m.index + m.length;
    }
    const cut = Math.max(pos, safe);
    out += bytes.slice(pos, cut);
    this.carry = bytes.slice(cut);
    return Buffer.from(out, 'latin1');
  }

  end(): Buffer {
    const rest = this.redactor().buffer(Buffer.from(this.carry, 'latin1'));
    this.carry = '';
    return rest;
  }
}

/** Decodes redacted bytes as UTF-8 for a terminal without splitting a character across writes. */
export function utf8Writer(write: (text: string) => void): { write: (b: Buffer) => void; end: () => void } {
  const decoder = new StringDecoder('utf8');
  return {
    write: (b) => {
      const s = decoder.write(b);
      if (s) write(s);
    },
    end: () => {
      const s = decoder.end();
      if (s) write(s);
    },
  };
}
