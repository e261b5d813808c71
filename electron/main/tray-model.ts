import { attentionOf, type AttentionKind } from '../../shared/attention';
import { BACKUP_ATTENTION_TEXT, type BackupAttention } from '../../shared/backup-health';
import type { Connection } from '../../shared/connections';

/**
 * The tray, as data: its icon state and menu, built from the connections by a pure function (no
 * electron import) so it is unit-tested; tray.ts turns it into Electron's Tray and Menu.
 */
export type TrayState = 'ok' | 'needs_reauth' | 'error';

export type TrayAction = { kind: 'show' } | { kind: 'show-connection'; connectionId: string } | { kind: 'show-vault' } | { kind: 'quit' };

export type TrayItem = { type: 'separator' } | { type: 'normal'; label: string; enabled: boolean; action?: TrayAction };

export interface TrayModel {
  state: TrayState;
  tooltip: string;
  items: TrayItem[];
}

/** At most this many connections are listed; the rest are counted. */
export const TRAY_MAX_LISTED = 10;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Per kind: the menu's word after a connection, and the tooltip's sentence for n of them. */
const WORDS: Record<AttentionKind, { why: string; count: (n: number) => string }> = {
  error: { why: 'error', count: (n) => plural(n, 'connection has an error', 'connections have errors') },
  needs_reauth: { why: 'sign in again', count: (n) => plural(n, 'connection needs you to sign in again', 'connections need you to sign in again') },
  expired: { why: 'expired', count: (n) => plural(n, 'key has expired', 'keys have expired') },
  expires_soon: { why: 'expires soon', count: (n) => plural(n, 'key expires soon', 'keys expire soon') },
  untested: { why: 'untested', count: (n) => plural(n, 'connection is untested', 'connections are untested') },
};

/** Errors first (nothing works), then what the person must do, soonest first; the tray lists them in this order. */
const TRAY_ORDER: readonly AttentionKind[] = ['error', 'needs_reauth', 'expired', 'expires_soon', 'untested'];

/** The tray's item for scheduled backups that need the person; it opens the Vault page, where Run now is. */
const BACKUP_ITEM: Record<BackupAttention, string> = {
  failed: 'Scheduled backup failed — open the Vault page',
  overdue: 'Scheduled backups are overdue — open the Vault page',
};

/** `backup`: what scheduled backups need (shared/backup-health.ts), shown after the connections, never cut off by their limit. */
export function buildTrayModel(connections: readonly Connection[], options: { loadError?: string | null; now?: number; backup?: BackupAttention | null } = {}): TrayModel {
  if (options.loadError) {
    return {
      state: 'error',
      tooltip: `Sophon: ${options.loadError}`,
      items: [
        { type: 'normal', label: 'Sophon cannot open its vault', enabled: false },
        { type: 'separator' },
        { type: 'normal', label: 'Open Sophon', enabled: true, action: { kind: 'show' } },
        { type: 'normal', label: 'Quit Sophon', enabled: true, action: { kind: 'quit' } },
      ],
    };
  }
  const now = options.now ?? Date.now();
  const byKind = new Map<AttentionKind, Connection[]>();
  for (const c of connections) {
    const kind = attentionOf(c, now);
    if (kind) byKind.set(kind, [...(byKind.get(kind) ?? []), c]);
  }
  // Each kind alphabetically, so the menu does not jump around.
  const byLabel = (a: Connection, b: Connection) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id);
  const attention = TRAY_ORDER.flatMap((kind) => (byKind.get(kind) ?? []).sort(byLabel).map((c) => ({ c, kind })));
  const backup = options.backup ?? null;
  const state: TrayState = byKind.has('error') ? 'error' : attention.length > 0 || backup ? 'needs_reauth' : 'ok';

  const problems = TRAY_ORDER.filter((k) => byKind.has(k)).map((k) => WORDS[k].count(byKind.get(k)!.length));
  if (backup) problems.push(BACKUP_ATTENTION_TEXT[backup]);
  const tooltip = problems.length ? `Sophon: ${problems.join('; ')}` : `Sophon: ${connections.length === 0 ? 'no connections yet' : `all ${plural(connections.length, 'connection', 'connections')} OK`}`;

  const items: TrayItem[] = [];
  if (attention.length === 0 && backup) {
    items.push({ type: 'normal', label: 'Needs attention:', enabled: false });
  } else if (attention.length === 0) {
    items.push({ type: 'normal', label: connections.length === 0 ? 'No connections yet' : 'All connections OK', enabled: false });
  } else {
    items.push({ type: 'normal', label: 'Needs attention:', enabled: false });
    for (const { c, kind } of attention.slice(0, TRAY_MAX_LISTED)) {
      items.push({ type: 'normal', label: `${c.label} (${c.serviceName}) — ${WORDS[kind].why}`, enabled: true, action: { kind: 'show-connection', connectionId: c.id } });
    }
    if (attention.length > TRAY_MAX_LISTED) {
      items.push({ type: 'normal', label: `…and ${attention.length - TRAY_MAX_LISTED} more`, enabled: true, action: { kind: 'show' } });
    }
  }
  if (backup) items.push({ type: 'normal', label: BACKUP_ITEM[backup], enabled: true, action: { kind: 'show-vault' } });
  items.push({ type: 'separator' });
  items.push({ type: 'normal', label: 'Open Sophon', enabled: true, action: { kind: 'show' } });
  items.push({ type: 'normal', label: 'Quit Sophon', enabled: true, action: { kind: 'quit' } });
  return { state, tooltip, items };
}
