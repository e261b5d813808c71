import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { backupAttentionOf, type BackupAttention } from '../../shared/backup-health';
import type { Out } from '../../shared/contract';
import { hasOperation, useApi, type Loadable } from './api';
import { describeError } from './errors';

type Status = Out<'vault.backupSchedule'>;

interface BackupStatusValue {
  state: Loadable<Status>;
  reload: () => void;
  /** What an operation just answered (Run now, a new schedule), shown without asking again. */
  set: (status: Status) => void;
}

/**
 * Scheduled backups run in the background (the app, `sophon dashboard`, cron), so how the last one went
 * is looked at again now and then, and is shared: the sidebar's badge and the Vault page show the same
 * answer, and Run now on the page clears the badge at once.
 */
const RECHECK_MS = 5 * 60_000;

const BackupStatusContext = createContext<BackupStatusValue | null>(null);

/** For admins only (the schedule is an admin's); for anyone else it asks nothing and flags nothing. */
export function BackupStatusProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const { api } = useApi();
  const [state, setState] = useState<Loadable<Status>>({ status: 'loading' });
  const active = enabled && hasOperation(api, 'vault.backupSchedule');
  const reload = useCallback(() => {
    if (!active) return;
    api['vault.backupSchedule']({}).then(
      (value) => setState({ status: 'ready', value }),
      (err: unknown) => setState({ status: 'error', error: describeError(err) }),
    );
  }, [api, active]);
  useEffect(() => {
    reload();
    const timer = setInterval(reload, RECHECK_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const set = useCallback((value: Status) => setState({ status: 'ready', value }), []);
  const value = useMemo(() => ({ state, reload, set }), [state, reload, set]);
  return <BackupStatusContext.Provider value={value}>{children}</BackupStatusContext.Provider>;
}

export function useBackupStatus(): BackupStatusValue {
  const ctx = useContext(BackupStatusContext);
  if (!ctx) throw new Error('useBackupStatus outside BackupStatusProvider');
  return ctx;
}

/** What scheduled backups need from the person now (the sidebar's badge), by the rule the tray uses. */
export function useBackupAttention(): BackupAttention | null {
  const { state } = useBackupStatus();
  return state.status === 'ready' ? backupAttentionOf(state.value.schedule, state.value.lastRun, Date.now()) : null;
}
