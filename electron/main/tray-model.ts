import type { Connection } from '../../shared/connections';

/**
 * The tray, as data: its icon state and menu, built from the connections by a pure function (no
 * electron import) so it is unit-tested; tray.ts turns it into Electron's Tray and Menu.
 */
export type TrayState = 'ok' | 'needs_reauth' | 'error';

export type TrayAction = { kind: 'show' } | { kind: 'show-connection'; connectionId: string } | { kind: 'quit' };

export type TrayItem = { type: 'separator' } | { type: 'normal'; label: string; enabled: boolean; action?: TrayAction };

export interface TrayModel {
  state: TrayState;
  tooltip: string;
  items: TrayItem[];
}

/** At most this many connections are listed; the rest are counted. */
export const TRAY_MAX_LISTED = 10;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function buildTrayModel(connections: readonly Connection[], options: { loadError?: string | null } = {}): TrayModel {
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
  const reauth = connections.filter((c) => c.state === 'needs_reauth');
  const broken = connections.filter((c) => c.state === 'error');
  // Errors first (nothing works), then re-auth; each alphabetically, so the menu does not jump around.
  const byLabel = (a: Connection, b: Connection) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id);
  const attention = [...[...broken].sort(byLabel), ...[...reauth].sort(byLabel)];
  const state: TrayState = broken.length > 0 ? 'error' : reauth.length > 0 ? 'needs_reauth' : 'ok';

  const problems = [broken.length ? plural(broken.length, 'connection has an error', 'connections have errors') : null, reauth.length ? plural(reauth.length, 'connection needs you to sign in again', 'connections need you to sign in again') : null].filter(Boolean);
  const tooltip = problems.length ? `Sophon: ${problems.join('; ')}` : `Sophon: ${connections.length === 0 ? 'no connections yet' : `all ${plural(connections.length, 'connection', 'connections')} OK`}`;

  const items: TrayItem[] = [];
  if (attention.length === 0) {
    items.push({ type: 'normal', label: connections.length === 0 ? 'No connections yet' : 'All connections OK', enabled: false });
  } else {
    items.push({ type: 'normal', label: 'Needs attention:', enabled: false });
    for (const c of attention.slice(0, TRAY_MAX_LISTED)) {
      const why = c.state === 'needs_reauth' ? 'sign in again' : 'error';
      items.push({ type: 'normal', label: `${c.label} (${c.serviceName}) — ${why}`, enabled: true, action: { kind: 'show-connection', connectionId: c.id } });
    }
    if (attention.length > TRAY_MAX_LISTED) {
      items.push({ type: 'normal', label: `…and ${attention.length - TRAY_MAX_LISTED} more`, enabled: true, action: { kind: 'show' } });
    }
  }
  items.push({ type: 'separator' });
  items.push({ type: 'normal', label: 'Open Sophon', enabled: true, action: { kind: 'show' } });
  items.push({ type: 'normal', label: 'Quit Sophon', enabled: true, action: { kind: 'quit' } });
  return { state, tooltip, items };
}
