import { BACKUP_RUNNER_NAMES, backupAttentionOf, backupFailureAdvice, OVERDUE_INTERVALS } from '../../../shared/backup-health';
import type { Out } from '../../../shared/contract';
import { absolute, relative } from '../format';
import { Note } from '../ui';

type Status = Out<'vault.backupSchedule'>;

/**
 * How the last scheduled run went, whichever process ran it, and whether backups are overdue: the
 * failure with what to do about it, so weeks of failing backups do not go unseen.
 */
export function ScheduleStatus({ status }: { status: Status }) {
  const { schedule, lastRun } = status;
  if (!schedule) return null;
  const now = Date.now();
  const overdue = backupAttentionOf(schedule, lastRun, now) === 'overdue';
  const when = (iso: string) => (
    <time dateTime={iso} title={iso}>
      {absolute(iso)} ({relative(iso, now)})
    </time>
  );
  return (
    <div data-testid="backup-last-run">
      {schedule.folderProblem && (
        <div className="note note-error" role="alert" data-state="folder">
          <p className="note-title">The backup folder cannot be listed, so no scheduled backup can be written.</p>
          <p className="note-detail">{schedule.folderProblem}</p>
          <p>Make the folder a readable folder again, or set the schedule with another folder.</p>
        </div>
      )}
      {lastRun === null && <p>No scheduled backup has run yet.</p>}
      {lastRun?.status === 'ok' && (
        <p className="text-ok" data-state="ok">
          Last run: written {when(lastRun.at)} by {BACKUP_RUNNER_NAMES[lastRun.by]}, to <code>{lastRun.file}</code>.
        </p>
      )}
      {lastRun?.status === 'failed' && (
        <div className="note note-error" role="alert" data-state="failed">
          <p className="note-title">
            The last scheduled backup failed ({when(lastRun.at)}, {BACKUP_RUNNER_NAMES[lastRun.by]}).
          </p>
          <p className="note-detail">{lastRun.error.message}</p>
          <p>{backupFailureAdvice(lastRun.error.code)}</p>
        </div>
      )}
      {lastRun?.status === 'unknown' && (
        <Note kind="warn">
          <p data-state="unknown">How the last run went is not known: {lastRun.problem}</p>
        </Note>
      )}
      {overdue && (
        <Note kind="warn">
          <p data-state="overdue">
            Backups are overdue: the newest is from {when(schedule.lastBackupAt!)}, more than {OVERDUE_INTERVALS + 1} × {schedule.everyHours} h ago. They are written while the app or{' '}
            <code>sophon dashboard</code> runs, or by cron (<code>sophon vault backup --run-scheduled</code>).
          </p>
        </Note>
      )}
    </div>
  );
}
