// Whether scheduled backups need the person (the last run failed, or none was written for too long): one
// rule for the Vault page, the sidebar, the tray and `sophon vault backup --show-schedule`. No zod here
// (contract.ts has the schema): the renderer imports this at run time.

/** Which process ran the schedule: the desktop app, `sophon dashboard`, or `sophon vault backup --run-scheduled` (cron). */
export const BACKUP_RUNNERS = ['app', 'dashboard', 'cli'] as const;
export type BackupRunner = (typeof BACKUP_RUNNERS)[number];

/** Each runner as a person knows it. */
export const BACKUP_RUNNER_NAMES: Record<BackupRunner, string> = {
  app: 'the Sophon app',
  dashboard: 'sophon dashboard',
  cli: 'sophon vault backup --run-scheduled',
};

/** `schedule`: it was due; `run_now`: a person asked for one (Run now, `--run-scheduled --force`). */
export const BACKUP_TRIGGERS = ['schedule', 'run_now'] as const;
export type BackupTrigger = (typeof BACKUP_TRIGGERS)[number];

/**
 * The last scheduled run as SOPHON_HOME/backup-last-run.json records it. `unknown`: the record cannot be
 * read (damaged, or not Sophon's); `problem` names the file and what is wrong with it.
 */
export type BackupLastRun =
  | { status: 'ok'; at: string; by: BackupRunner; trigger: BackupTrigger; file: string }
  | { status: 'failed'; at: string; by: BackupRunner; trigger: BackupTrigger; error: { code: string; message: string } }
  | { status: 'unknown'; problem: string };

/**
 * Overdue: the next backup was due more than this many intervals ago. One missed run is normal (a laptop
 * shut over a weekend, and the app writes one as soon as it starts); three in a row are not.
 */
export const OVERDUE_INTERVALS = 2;

export type BackupAttention = 'failed' | 'overdue';

/**
 * What scheduled backups need from the person at `now`, if anything. A folder that cannot be listed fails
 * every run, so it counts as failed before the first one. A record that cannot be read is shown, not
 * flagged: the overdue rule still watches the folder.
 */
export function backupAttentionOf(
  schedule: { everyHours: number; lastBackupAt: string | null; nextDueAt: string; folderProblem?: string | null } | null,
  lastRun: BackupLastRun | null,
  now: number,
): BackupAttention | null {
  if (!schedule) return null;
  if (lastRun?.status === 'failed' || schedule.folderProblem) return 'failed';
  if (schedule.lastBackupAt !== null && now - Date.parse(schedule.nextDueAt) > OVERDUE_INTERVALS * schedule.everyHours * 3_600_000) return 'overdue';
  return null;
}

/** One line for the tray and the sidebar's label. */
export const BACKUP_ATTENTION_TEXT: Record<BackupAttention, string> = {
  failed: 'the last scheduled backup failed',
  overdue: 'scheduled backups are overdue',
};

/** What to do about a failed run, by its error code; the message itself names the file or folder. */
export function backupFailureAdvice(code: string): string {
  switch (code) {
    case 'storage_readonly':
      return 'The backup folder cannot be written (a read-only disk, or not yours): make it writable or choose another folder, then run the backup again.';
    case 'storage_full':
      return 'The disk holding the backup folder is full: free some space (or keep fewer backups), then run the backup again.';
    case 'vault_key_missing':
    case 'settings_invalid':
      return 'Set the schedule again (with its passphrase); backups already written stay valid.';
    case 'keychain_unavailable':
    case 'key_protector_unavailable':
      return 'Sophon could not reach the vault key to read the credentials: unlock the keychain (or insert the token), then run the backup again.';
    default:
      return 'Fix what the message says, then run the backup again.';
  }
}
