// What the connection list shows, without React: used by the React screen and by the first paint
// (first-paint.ts), so both render the same rows, order and words.
import { ATTENTION_KINDS, attentionOf, attentionRank, type AttentionKind } from '../../shared/attention';
import type { Connection } from '../../shared/connections';
import { relative } from './format';

/** Rows rendered at once; a longer list gets the rest in a following, interruptible render (first screen fast, all rows then in the DOM for find-in-page and screen readers). */
export const FIRST_ROWS = 30;

export const LIST_TEXT = {
  title: 'Connections',
  subtitle: 'Every account Sophon can use for your agent. Secrets stay in the vault; the agent never sees them.',
  add: 'Add connection',
  searchLabel: 'Search connections',
  searchPlaceholder: 'Search by name, service or account',
} as const;

/** The list's column labels, in the order of a row's cells (the first is the logo's). */
export const COLUMNS = ['', 'Name', 'State', 'Last used', 'Expires', 'Last test'] as const;

/** One collator for every sort ("Key 2" before "Key 10"); localeCompare with options builds one per call. Made on first use (see format.ts). */
let collator: Intl.Collator | undefined;

/** The list's order: what needs the person first (re-auth, errors, expired, expiring, untested), then by service name, then label. */
export function sortConnections(connections: readonly Connection[], now = Date.now()): Connection[] {
  const c = (collator ??= new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }));
  const rank = new Map(connections.map((x) => [x.id, attentionRank(attentionOf(x, now))]));
  return [...connections].sort((a, b) => rank.get(a.id)! - rank.get(b.id)! || c.compare(a.serviceName, b.serviceName) || c.compare(a.label, b.label));
}

/**
 * A label without the service name the row shows anyway ("OpenAI (alice@x.com)" → "alice@x.com",
 * "GitHub – work" → "work"); the label as it is when nothing else would be left.
 */
export function shortLabel(label: string, serviceName: string): string {
  if (!label.toLowerCase().startsWith(serviceName.toLowerCase())) return label;
  let rest = label.slice(serviceName.length).trim();
  const wrapped = /^\((.*)\)$/.exec(rest);
  if (wrapped) rest = wrapped[1]!.trim();
  else rest = rest.replace(/^[-–—:·,/]\s*/, '');
  return rest || label;
}

/** The row's two lines: its name, and what else tells it apart (the service, the account) without repeating the name. */
export function rowText(c: Connection): { name: string; sub: string } {
  const name = shortLabel(c.label, c.serviceName);
  const sub = [name.toLowerCase().includes(c.serviceName.toLowerCase()) ? null : c.serviceName, c.account]
    .filter((x): x is string => !!x && x !== name)
    .join(' · ');
  return { name, sub };
}

const ATTENTION_WORDS: Record<AttentionKind, string> = {
  needs_reauth: 'needs re-auth',
  error: 'error',
  expired: 'expired',
  expires_soon: 'expires soon',
  untested: 'untested',
};

/** "in 2 days", with the date, for the Expires column; "no expiry" when there is none. */
export function expiresText(c: Connection): string {
  return c.expiresAt ? relative(c.expiresAt) : 'no expiry';
}

export function stateText(state: Connection['state']): string {
  return state === 'active' ? 'Active' : state === 'untested' ? 'Untested' : state === 'needs_reauth' ? 'Needs re-auth' : 'Error';
}

export type BadgeInput = Pick<Connection, 'state'> & { authMethod?: string; expiresAt?: string | null };

/** The badge a row shows: its state, or "Expires soon"/"Expired" for an active key near or past its expiry. */
export function badgeOf(c: BadgeInput, now = Date.now()): { kind: string; text: string } {
  const a = attentionOf({ state: c.state, authMethod: c.authMethod ?? '', expiresAt: c.expiresAt ?? null }, now);
  if (a === 'expires_soon') return { kind: 'expires_soon', text: 'Expires soon' };
  if (a === 'expired') return { kind: 'expired', text: 'Expired' };
  return { kind: c.state, text: stateText(c.state) };
}

/** The row link's accessible name: label, service, and what it needs when it needs something. */
export function rowLabel(c: Connection, now = Date.now()): string {
  const a = attentionOf(c, now);
  return `${c.label}, ${c.serviceName}${a ? `, ${ATTENTION_WORDS[a]}` : ''}`;
}

export function lastTestText(c: Connection): string {
  if (!c.lastTest) return 'not tested';
  const words: Record<string, string> = { ok: 'passed', rejected: 'rejected', missing_scope: 'missing scope', unreachable: 'unreachable', unexpected: 'unexpected answer', untestable: 'not testable' };
  return `${words[c.lastTest.status] ?? c.lastTest.status} ${relative(c.lastTest.at)}`;
}

/** A service's icon: up to two initials and one of 12 hues from its name. */
export function serviceIcon(name: string): { letters: string; hue: number } {
  const letters = name
    .replace(/\(.*\)/, '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return { letters: letters || '?', hue: hue % 12 };
}

/** How many connections need the person, by kind (the summary next to the search box). */
export function attention(connections: readonly Connection[], now = Date.now()): Record<AttentionKind, number> {
  const n: Record<AttentionKind, number> = { needs_reauth: 0, error: 0, expired: 0, expires_soon: 0, untested: 0 };
  for (const c of connections) {
    const a = attentionOf(c, now);
    if (a) n[a]++;
  }
  return n;
}

/** The summary's parts after the count: "2 need re-auth", "1 with errors", … in the list's order. */
export function attentionParts(counts: Record<AttentionKind, number>): { kind: AttentionKind; text: string }[] {
  const words: Record<AttentionKind, (n: number) => string> = {
    needs_reauth: (n) => `${n} need${n === 1 ? 's' : ''} re-auth`,
    error: (n) => `${n} with errors`,
    expired: (n) => `${n} expired`,
    expires_soon: (n) => `${n} expiring soon`,
    untested: (n) => `${n} untested`,
  };
  return ATTENTION_KINDS.filter((k) => counts[k] > 0).map((k) => ({ kind: k, text: words[k](counts[k]) }));
}
