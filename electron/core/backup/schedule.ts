import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { loadSettings } from '../config/settings';
import { writeSettings } from '../config/settings-writer';
import { errnoOf, SophonError } from '../errors';
import { ensurePrivateDir } from '../fs/secure-fs';
import { logFailure } from '../log/log';
import type { Core } from '../sophon-core';
import { backupAttentionOf, type BackupAttention, type BackupLastRun, type BackupRunner } from '../../../shared/backup-health';
import type { BackupSummary } from './backup';
import { forgetLastRun, readLastRun, recordRun, thisRunner } from './last-run';
import { DEFAULT_KDF, deriveBackupKey, KDF_BOUNDS, normalizePassphrase, SCHEDULE_KEY_SECRET, type KdfParams } from './backup-format';

/**
 * Scheduled backups: `Sophon.Backup` in appsettings.json names the folder, how many to keep and how
 * often; the passphrase is turned into a key once, when the schedule is set, with a salt and Argon2id
 * parameters kept in the same settings. Only that derived key is kept (a system secret in the vault,
 * never the passphrase), so every scheduled backup carries the salt and parameters in its header as any
 * backup does, and restoring one needs nothing but the passphrase.
 */
const ScheduleSettingsSchema = z.object({
  Folder: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
  Keep: z.number().int().min(1).max(1000),
  EveryHours: z.number().min(0.01).max(24 * 366),
  Salt: z.string().regex(/^[A-Za-z0-9+/]{22}==$/, 'must be 16 bytes in base64'),
  Kdf: z.object({
    MemoryKiB: z.number().int().min(KDF_BOUNDS.memoryKiB[0]).max(KDF_BOUNDS.memoryKiB[1]),
    Passes: z.number().int().min(KDF_BOUNDS.passes[0]).max(KDF_BOUNDS.passes[1]),
    Lanes: z.number().int().min(KDF_BOUNDS.lanes[0]).max(KDF_BOUNDS.lanes[1]),
  }),
});
type ScheduleSettings = z.output<typeof ScheduleSettingsSchema>;

export interface BackupSchedule {
  folder: string;
  keep: number;
  everyHours: number;
  /** The newest scheduled backup in the folder, by its name (ISO time), or null. */
  lastBackupAt: string | null;
  nextDueAt: string;
  /** The scheduled backups in the folder, newest first (file names). */
  files: string[];
  /** Why the folder cannot be listed (then `files` is empty and `lastBackupAt` not known), or null. */
  folderProblem: string | null;
}

export interface ScheduleChange {
  folder: string;
  keep: number;
  everyHours: number;
  passphrase: string;
  params?: KdfParams;
}

/** Scheduled backups are named by their UTC time, so the name sorts by age and says when it was made. */
const FILE_RE = /^sophon-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.backup$/;

export function scheduledFileName(at: number): string {
  return `sophon-${new Date(at).toISOString().replace(/[-:.]/g, '')}.backup`;
}

function fileTime(name: string): number | null {
  const m = FILE_RE.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : null;
}

type ScheduleCore = Pick<Core, 'paths' | 'systemSecrets' | 'backup'>;

/** The schedule as appsettings.json holds it now (another process may have changed it), or null when none is set. */
async function readSchedule(core: ScheduleCore): Promise<ScheduleSettings | null> {
  const settings = await loadSettings(core.paths.settingsFile);
  const raw = (settings.Sophon as Record<string, unknown>).Backup;
  if (raw === undefined || raw === null) return null;
  const parsed = ScheduleSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((i) => `Sophon.Backup.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SophonError('settings_invalid', `The backup schedule in ${core.paths.settingsFile} is not valid (${where}). Set it again with \`sophon vault backup --schedule FOLDER\`.`);
  }
  return parsed.data;
}

async function scheduledFiles(folder: string): Promise<string[]> {
  try {
    return (await fsp.readdir(folder)).filter((n) => fileTime(n) !== null).sort().reverse();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw new SophonError('invalid_input', `Cannot read the backup folder ${folder} (${errnoOf(err) ?? 'error'}).`);
  }
}

/** `tolerant`: a folder that cannot be listed is described, not thrown (a run throws: it cannot go on). */
async function view(s: ScheduleSettings, tolerant = false): Promise<BackupSchedule> {
  let files: string[] = [];
  let folderProblem: string | null = null;
  try {
    files = await scheduledFiles(s.Folder);
  } catch (err) {
    if (!tolerant) throw err;
    folderProblem = err instanceof Error ? err.message : String(err);
  }
  const last = files[0] === undefined ? null : fileTime(files[0]);
  return {
    folder: s.Folder,
    keep: s.Keep,
    everyHours: s.EveryHours,
    lastBackupAt: last === null ? null : new Date(last).toISOString(),
    nextDueAt: new Date(last === null ? Date.now() : last + s.EveryHours * 3_600_000).toISOString(),
    files,
    folderProblem,
  };
}

export async function getSchedule(core: ScheduleCore): Promise<BackupSchedule | null> {
  const s = await readSchedule(core);
  return s ? view(s, true) : null;
}

/** The schedule and how its last run went (the Vault page, `--show-schedule`). */
export async function scheduleStatus(core: ScheduleCore): Promise<{ schedule: BackupSchedule | null; lastRun: BackupLastRun | null }> {
  const [schedule, lastRun] = await Promise.all([getSchedule(core), readLastRun(core.paths.home)]);
  return { schedule, lastRun };
}

/**
 * For the tray: whether scheduled backups need the person. Never throws: a schedule that cannot even be
 * read (invalid settings, an unreadable folder) makes every run fail, so it is `failed`.
 */
export async function backupAttention(core: ScheduleCore, now = Date.now()): Promise<BackupAttention | null> {
  try {
    const { schedule, lastRun } = await scheduleStatus(core);
    return backupAttentionOf(schedule, lastRun, now);
  } catch (err) {
    logFailure('backup.status_failed', err);
    return 'failed';
  }
}

/**
 * Sets (or replaces) the schedule: derives the key from the passphrase once, keeps it in the vault,
 * and writes the settings. A new passphrase gets a new salt, so earlier backups keep their own.
 */
export async function setSchedule(core: ScheduleCore, change: ScheduleChange): Promise<BackupSchedule> {
  if (!isAbsolute(change.folder)) throw new SophonError('invalid_input', `The backup folder must be an absolute path (got ${JSON.stringify(change.folder)}).`);
  await ensurePrivateDir(change.folder).catch((err: unknown) => {
    throw new SophonError('invalid_input', `Cannot use ${change.folder} as the backup folder (${errnoOf(err) ?? 'error'}).`);
  });
  const params = change.params ?? DEFAULT_KDF;
  const salt = randomBytes(16);
  const key = await deriveBackupKey(normalizePassphrase(change.passphrase), salt, params);
  // The key first: settings that name a salt whose key is missing would make every run fail.
  await core.systemSecrets.put(SCHEDULE_KEY_SECRET, key.toString('base64'));
  const settings: ScheduleSettings = {
    Folder: change.folder,
    Keep: change.keep,
    EveryHours: change.everyHours,
    Salt: salt.toString('base64'),
    Kdf: { MemoryKiB: params.memoryKiB, Passes: params.passes, Lanes: params.lanes },
  };
  ScheduleSettingsSchema.parse(settings);
  await writeSettings(core.paths.settingsFile, [{ path: ['Sophon', 'Backup'], value: settings }]);
  await forgetLastRun(core.paths.home);
  return view(settings);
}

/** Stops scheduled backups: the settings and the kept key go; the backups already written stay. */
export async function clearSchedule(core: ScheduleCore): Promise<void> {
  await writeSettings(core.paths.settingsFile, [{ path: ['Sophon', 'Backup'], value: undefined }]);
  await core.systemSecrets.delete(SCHEDULE_KEY_SECRET);
  await forgetLastRun(core.paths.home);
}

export interface ScheduledRun {
  /** `written`: a backup was made; `not_due`: the newest one is recent enough; `unscheduled`: no schedule is set. */
  outcome: 'written' | 'not_due' | 'unscheduled';
  summary: BackupSummary | null;
  /** Older scheduled backups removed to keep `Keep` of them. */
  removed: string[];
  schedule: BackupSchedule | null;
}

export interface RunOptions {
  /** Write one now even when none is due (Run now, `--run-scheduled --force`). */
  force?: boolean;
  now?: number;
  /** The process running it, for the record; by default this one (the app, or the CLI). */
  by?: BackupRunner;
}

/**
 * One run of the schedule: writes a backup when the newest in the folder is older than `EveryHours`
 * (or always, with `force`), then removes the oldest beyond `Keep`. Only files named as scheduled
 * backups are ever removed from the folder. A run that writes or fails is recorded
 * (backup-last-run.json); a check that finds nothing due is not a run.
 */
export async function runScheduledBackup(core: ScheduleCore, options: RunOptions = {}): Promise<ScheduledRun> {
  const by = options.by ?? thisRunner(false);
  const trigger = options.force ? 'run_now' : 'schedule';
  let run: ScheduledRun;
  try {
    run = await runIfDue(core, options);
  } catch (err) {
    await recordRun(core.paths.home, { ok: false, error: err }, by, trigger);
    throw err;
  }
  if (run.summary) await recordRun(core.paths.home, { ok: true, file: run.summary.file }, by, trigger);
  return run;
}

async function runIfDue(core: ScheduleCore, options: RunOptions): Promise<ScheduledRun> {
  const s = await readSchedule(core);
  if (!s) return { outcome: 'unscheduled', summary: null, removed: [], schedule: null };
  const now = options.now ?? Date.now();
  const before = await view(s);
  if (!options.force && before.lastBackupAt !== null && Date.parse(before.lastBackupAt) + s.EveryHours * 3_600_000 > now) {
    return { outcome: 'not_due', summary: null, removed: [], schedule: before };
  }
  const stored = await core.systemSecrets.get(SCHEDULE_KEY_SECRET);
  if (stored === null) {
    throw new SophonError('vault_key_missing', `The scheduled backup's key is not in the vault (${SCHEDULE_KEY_SECRET}); set the schedule again with \`sophon vault backup --schedule ${s.Folder}\`.`);
  }
  await ensurePrivateDir(s.Folder);
  const params: KdfParams = { memoryKiB: s.Kdf.MemoryKiB, passes: s.Kdf.Passes, lanes: s.Kdf.Lanes };
  const derived = { key: Buffer.from(stored, 'base64'), salt: Buffer.from(s.Salt, 'base64') };
  // Names are by the millisecond; one already taken (two runs at once) moves to the next.
  let at = Math.max(now, before.lastBackupAt === null ? 0 : Date.parse(before.lastBackupAt) + 1);
  let summary: BackupSummary | null = null;
  for (let tries = 0; summary === null; tries++, at++) {
    try {
      summary = await core.backup.write(join(s.Folder, scheduledFileName(at)), null, { params, derived });
    } catch (err) {
      if (tries >= 5 || !(err instanceof SophonError && err.code === 'invalid_input')) throw err;
    }
  }
  const files = await scheduledFiles(s.Folder);
  const removed: string[] = [];
  for (const name of files.slice(s.Keep)) {
    await fsp.unlink(join(s.Folder, name)).then(
      () => removed.push(name),
      (err: unknown) => logFailure('backup.prune_failed', err, { file: name }),
    );
  }
  return { outcome: 'written', summary, removed, schedule: await view(s) };
}

/**
 * Checks the schedule now and then every `intervalMs` (default 15 minutes) until stopped: the app and
 * the REST server run it beside their maintenance. A failure is logged, recorded for the Vault page and
 * the tray (backup-last-run.json), and tried at the next check. `onRecorded` hears of every run that wrote
 * or failed (the app re-draws its tray at once rather than at its next ten-minute look).
 */
export function startBackupSchedule(core: ScheduleCore, intervalMs = 15 * 60_000, onRecorded?: () => void): () => void {
  let running = false;
  const by = thisRunner(true);
  const tick = () => {
    if (running) return;
    running = true;
    void runScheduledBackup(core, { by })
      .then(
        (run) => run.summary !== null && onRecorded?.(),
        (err: unknown) => {
          logFailure('backup.scheduled_failed', err);
          onRecorded?.();
        },
      )
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
