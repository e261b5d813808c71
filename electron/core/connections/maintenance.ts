import type { Core } from '../sophon-core';
import { SophonError } from '../errors';
import { logFailure } from '../log/log';

const DAY = 24 * 60 * 60_000;

export interface MaintenanceOptions {
  /** OAuth connections unused this long are refreshed anyway: some services revoke idle refresh tokens. */
  idleRefreshMs?: number;
  /** OAuth tokens expiring within this are refreshed ahead of time, so no call waits for a refresh. */
  aheadMs?: number;
  /** Other connections whose last test is older than this are tested again, so breakage shows before the agent needs them. */
  retestMs?: number;
  now?: number;
}

export interface MaintenanceReport {
  refreshed: string[];
  retested: string[];
  failed: { id: string; message: string }[];
}

/**
 * One pass of the desktop app's scheduler. A failure of one connection is recorded (state, audit) and
 * never stops the others.
 */
export async function runMaintenance(core: Pick<Core, 'credentials' | 'connections' | 'refresh'>, options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const now = options.now ?? Date.now();
  const report: MaintenanceReport = { refreshed: [], retested: [], failed: [] };
  for (const c of core.connections.records()) {
    if (c.state === 'needs_reauth') continue;
    try {
      if (c.authMethod === 'oauth2') {
        const credential = await core.credentials.read({ userId: c.userId, connectionId: c.id });
        const obtainedAt = typeof credential?.obtainedAt === 'number' ? credential.obtainedAt : 0;
        const idle = now - Math.max(c.lastUsedAt ?? 0, obtainedAt) >= (options.idleRefreshMs ?? DAY);
        const expiring = credential?.expiresAt !== undefined && credential.expiresAt - now <= (options.aheadMs ?? 5 * 60_000);
        if (!idle && !expiring) continue;
        // The scheduler refreshes ahead of the freshness rule (so no call waits for a refresh): forced.
        await core.refresh({ userId: c.userId, connectionId: c.id }, { force: true });
        report.refreshed.push(c.id);
      } else if (now - (c.lastTestAt ?? 0) >= (options.retestMs ?? DAY)) {
        await core.connections.test(c.userId, c.id);
        report.retested.push(c.id);
      }
    } catch (err) {
      report.failed.push({ id: c.id, message: err instanceof SophonError ? err.message : 'unexpected error' });
      logFailure(c.authMethod === 'oauth2' ? 'maintenance.refresh_failed' : 'maintenance.test_failed', err, { connectionId: c.id, userId: c.userId });
    }
  }
  return report;
}

/** Runs maintenance now and then every `intervalMs` (default 5 minutes) until stopped. */
export function startMaintenance(core: Parameters<typeof runMaintenance>[0], intervalMs = 5 * 60_000, options: Omit<MaintenanceOptions, 'now'> = {}): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    void runMaintenance(core, options)
      .catch((err: unknown) => logFailure('maintenance.failed', err))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
