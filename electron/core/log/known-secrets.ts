/**
 * Secret values this process holds in memory (every credential the vault reads or writes goes through
 * here), so the log can scrub them from any line even when they sit in a field with an innocent name
 * or inside an error message. Only the raw values are kept; their encoded forms are computed when a
 * line is written (log/scrub.ts), so the vault's fast paths pay one Set insert.
 */

/** A long-running app or broker sees tokens rotate: the oldest values are forgotten past this many. */
const MAX_VALUES = 2_000;

/** Secrets shorter than this are not kept: scrubbing every "ab" would shred the log (as the broker's Redactor). */
const MIN_LENGTH = 6;

/** Credential `extra` fields whose values are secrets (a host or a user name is not scrubbed). */
const SECRET_FIELD = /pass|secret|token|key|auth|credential|cookie|session/i;

const values = new Set<string>();
let version = 0;

export function rememberSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_LENGTH || values.has(value)) return;
  values.add(value);
  if (values.size > MAX_VALUES) values.delete(values.values().next().value as string);
  version++;
}

/** Every secret of a credential record: tokens, API key, and the secret-named `extra` fields. */
export function rememberCredential(credential: { accessToken?: unknown; refreshToken?: unknown; apiKey?: unknown; extra?: unknown } | null | undefined): void {
  if (!credential) return;
  rememberSecret(credential.accessToken);
  rememberSecret(credential.refreshToken);
  rememberSecret(credential.apiKey);
  if (credential.extra && typeof credential.extra === 'object') {
    for (const [name, value] of Object.entries(credential.extra)) if (SECRET_FIELD.test(name)) rememberSecret(value);
  }
}

export function knownSecrets(): { values: ReadonlySet<string>; version: number } {
  return { values, version };
}
