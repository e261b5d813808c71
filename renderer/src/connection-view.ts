// What the connection list shows, without React: used by the React screen and by the first paint
// (first-paint.ts), so both render the same groups, order and words.
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

/** One collator for every sort ("Key 2" before "Key 10"); localeCompare with options builds one per call. Made on first use (see format.ts). */
let collator: Intl.Collator | undefined;

export type ConnectionGroup = [serviceId: string, group: { name: string; items: Connection[] }];

/** Connections grouped by service, sorted by service name then label. */
export function groupConnections(connections: readonly Connection[]): ConnectionGroup[] {
  const m = new Map<string, { name: string; items: Connection[] }>();
  for (const c of connections) {
    let g = m.get(c.serviceId);
    if (!g) m.set(c.serviceId, (g = { name: c.serviceName, items: [] }));
    g.items.push(c);
  }
  const c = (collator ??= new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }));
  const list = [...m.entries()].sort((a, b) => c.compare(a[1].name, b[1].name));
  for (const [, g] of list) g.items.sort((a, b) => c.compare(a.label, b.label));
  return list;
}

/** The first `limit` rows, group by group (a group cut short still shows its full count). */
export function visibleGroups(groups: readonly ConnectionGroup[], limit: number): { serviceId: string; name: string; count: number; items: Connection[] }[] {
  const out: { serviceId: string; name: string; count: number; items: Connection[] }[] = [];
  let budget = limit;
  for (const [serviceId, g] of groups) {
    if (budget <= 0) break;
    const items = g.items.length <= budget ? g.items : g.items.slice(0, budget);
    budget -= items.length;
    out.push({ serviceId, name: g.name, count: g.items.length, items });
  }
  return out;
}

export function stateText(state: Connection['state']): string {
  return state === 'active' ? 'Active' : state === 'needs_reauth' ? 'Needs re-auth' : 'Error';
}

/** The row link's accessible name: label, service, and its state when it is not active. */
export function rowLabel(c: Connection): string {
  return `${c.label}, ${c.serviceName}${c.state === 'active' ? '' : c.state === 'needs_reauth' ? ', needs re-auth' : ', error'}`;
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

/** How many connections need re-auth and how many have errors (the summary next to the search box). */
export function attention(connections: readonly Connection[]): { reauth: number; errors: number } {
  let reauth = 0;
  let errors = 0;
  for (const c of connections) {
    if (c.state === 'needs_reauth') reauth++;
    else if (c.state === 'error') errors++;
  }
  return { reauth, errors };
}
