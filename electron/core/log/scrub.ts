import { REDACTED, secretForms } from '../credentials/redact';
import { knownSecrets } from './known-secrets';

/**
 * Field names whose values are never logged, at any depth of a record (pino's `redact` paths cover the
 * usual places too; this catches a secret nested anywhere).
 */
export const SECRET_FIELD_NAMES = [
  'secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'apiKey',
  'api_key',
  'password',
  'passphrase',
  'pin',
  'authorization',
  'cookie',
  'clientSecret',
  'client_secret',
  'privateKey',
  'code_verifier',
];
const SECRET_NAME = new Set(SECRET_FIELD_NAMES.map((n) => n.toLowerCase()));

/** A copy of a log record with every secret-named field replaced, at any depth. */
export function redactFields(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactFields(v, depth + 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.has(k.toLowerCase()) ? REDACTED : redactFields(v, depth + 1);
  return out;
}

let cached: { version: number; pattern: RegExp | null } = { version: -1, pattern: null };

function pattern(): RegExp | null {
  const known = knownSecrets();
  if (cached.version === known.version) return cached.pattern;
  const forms = new Set<string>();
  for (const v of known.values) for (const f of secretForms(v)) forms.add(f);
  // JSON.stringify of the line escapes what sits in a string once more: the forms as they appear there too.
  for (const f of [...forms]) forms.add(JSON.stringify(f).slice(1, -1));
  const sorted = [...forms].sort((a, b) => b.length - a.length).map((s) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'));
  cached = { version: known.version, pattern: sorted.length ? new RegExp(sorted.join('|'), 'g') : null };
  return cached.pattern;
}

/** Replaces every known secret value (in its common encodings) in a serialized log line. */
export function scrubKnownSecrets(line: string): string {
  const p = pattern();
  return p ? line.replace(p, REDACTED) : line;
}
