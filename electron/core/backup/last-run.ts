import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BACKUP_RUNNERS, BACKUP_TRIGGERS, type BackupLastRun, type BackupRunner, type BackupTrigger } from '../../../shared/backup-health';
import { errnoOf } from '../errors';
import { atomicWriteFile } from '../fs/secure-fs';
import { errorFields, logFailure } from '../log/log';
import { scrubKnownSecrets } from '../log/scrub';

/**
 * SOPHON_HOME/backup-last-run.json: how the last scheduled backup went, whichever process ran it (the
 * app, `sophon dashboard`, cron's `--run-scheduled`), so a backup that has been failing for weeks shows
 * on the Vault page, the sidebar and the tray instead of only in a log. It holds a time, a file name and
 * an error's code and message: never a passphrase or key (core's messages carry none, and known secrets
 * are scrubbed from the message anyway).
 */
export const LAST_RUN_FILE = 'backup-last-run.json';

/** Long enough for any of core's messages (they name a path and what to do); a record stays small. */
const MAX_MESSAGE = 2000;

const Common = {
  at: z.iso.datetime(),
  by: z.enum(BACKUP_RUNNERS),
  trigger: z.enum(BACKUP_TRIGGERS),
};
const RecordSchema = z.discriminatedUnion('status', [
  z.strictObject({ version: z.literal(1), status: z.literal('ok'), ...Common, file: z.string().min(1).max(4096) }),
  z.strictObject({
    version: z.literal(1),
    status: z.literal('failed'),
    ...Common,
    error: z.strictObject({ code: z.string().min(1).max(100), message: z.string().max(MAX_MESSAGE) }),
  }),
]);
type RunRecord = z.output<typeof RecordSchema>;

export function lastRunPath(home: string): string {
  return join(home, LAST_RUN_FILE);
}

/**
 * The process this is. `server`: one that keeps a core open and serves the contract (the app, or
 * `sophon dashboard` when not in Electron); otherwise a CLI command (cron's `--run-scheduled`).
 */
export function thisRunner(server: boolean): BackupRunner {
  if (process.versions.electron !== undefined) return 'app';
  return server ? 'dashboard' : 'cli';
}

export type RunOutcome = { ok: true; file: string } | { ok: false; error: unknown };

/**
 * Records a run (0600, atomic: a reader sees the previous record or this one). A record that cannot be
 * written (a read-only home) is logged and never hides the run's own result.
 */
export async function recordRun(home: string, outcome: RunOutcome, by: BackupRunner, trigger: BackupTrigger, at = Date.now()): Promise<void> {
  const common = { version: 1 as const, at: new Date(at).toISOString(), by, trigger };
  let record: RunRecord;
  if (outcome.ok) {
    record = { ...common, status: 'ok', file: outcome.file };
  } else {
    const { code, message } = errorFields(outcome.error);
    record = { ...common, status: 'failed', error: { code: code.slice(0, 100), message: scrubKnownSecrets(message).slice(0, MAX_MESSAGE) } };
  }
  try {
    await atomicWriteFile(lastRunPath(home), `${JSON.stringify(RecordSchema.parse(record), null, 2)}\n`);
  } catch (err) {
    logFailure('backup.last_run_unwritten', err);
  }
}

/** The last run, or null when none is recorded; a record that cannot be read or is not valid is `unknown`, named. */
export async function readLastRun(home: string): Promise<BackupLastRun | null> {
  const file = lastRunPath(home);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    return { status: 'unknown', problem: `${file} cannot be read (${errnoOf(err) ?? 'error'}).` };
  }
  let parsed: ReturnType<typeof RecordSchema.safeParse>;
  try {
    parsed = RecordSchema.safeParse(JSON.parse(text));
  } catch {
    return { status: 'unknown', problem: `${file} is not valid JSON; the next scheduled backup writes it again.` };
  }
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 2).map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
    return { status: 'unknown', problem: `${file} is not a backup run record (${where}); the next scheduled backup writes it again.` };
  }
  const { version: _version, ...run } = parsed.data;
  return run;
}

/** A new or removed schedule starts without the old one's history (its folder may be another). */
export async function forgetLastRun(home: string): Promise<void> {
  await fsp.unlink(lastRunPath(home)).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') logFailure('backup.last_run_unremoved', err);
  });
}
