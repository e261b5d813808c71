import { attentionOf, type AttentionKind } from '../../shared/attention';
import type { Connection } from '../../shared/connections';

/**
 * Which OS notifications to show, as a pure function (no electron import, unit-tested);
 * notifications.ts shows them. A notice is an *event*: a connection entering a state that needs the
 * person. It is shown once; while the connection stays in that state nothing more is said, and only a
 * new event (it recovers and breaks again, a soon-expiring key then expires, a new expiry date) speaks
 * again. `untested` is left out: the person has just been told when adding, and the scheduler retests.
 */
export interface Notice {
  /** The event's identity: connection, kind, and the expiry or reason it is about. */
  key: string;
  connectionId: string;
  title: string;
  body: string;
}

const NOTIFIED: ReadonlySet<AttentionKind> = new Set(['needs_reauth', 'error', 'expired', 'expires_soon']);

function noticeFor(c: Connection, kind: AttentionKind, now: number, formatTime: (iso: string) => string): Omit<Notice, 'key' | 'connectionId'> {
  const name = `${c.label} (${c.serviceName})`;
  switch (kind) {
    case 'needs_reauth':
      return { title: `${name} needs you to sign in again`, body: c.stateReason ?? 'Open Sophon to sign in again.' };
    case 'error':
      return { title: `${name} stopped working`, body: c.stateReason ?? 'Open Sophon to see why.' };
    case 'expired':
      return { title: `${name} has expired`, body: 'Open Sophon and replace the key.' };
    default: {
      const days = Math.max(1, Math.round((Date.parse(c.expiresAt ?? '') - now) / 86_400_000));
      return { title: `${name} expires soon`, body: `It expires ${formatTime(c.expiresAt ?? '')} (in about ${days} day${days === 1 ? '' : 's'}). Replace the key before then.` };
    }
  }
}

/**
 * The notices to show now, given the events already notified (`seen`, from the previous call), and the
 * events current now (pass it back next time). The first call after start has an empty `seen`: what
 * needs the person is said once per run of the app.
 */
export function decideNotices(
  seen: ReadonlySet<string>,
  connections: readonly Connection[],
  now: number,
  formatTime: (iso: string) => string = (iso) => new Date(iso).toLocaleString(),
): { notices: Notice[]; current: Set<string> } {
  const current = new Set<string>();
  const notices: Notice[] = [];
  for (const c of connections) {
    const kind = attentionOf(c, now);
    if (!kind || !NOTIFIED.has(kind)) continue;
    const about = kind === 'expired' || kind === 'expires_soon' ? (c.expiresAt ?? '') : '';
    const key = `${c.id}\u0000${kind}\u0000${about}`;
    current.add(key);
    if (!seen.has(key)) notices.push({ key, connectionId: c.id, ...noticeFor(c, kind, now, formatTime) });
  }
  return { notices, current };
}
