import { resolve } from 'node:path';
import { SophonError } from '../../core/errors';
import { readBackup, type RestoreReport } from '../../core/backup/backup';
import { generateRecoveryPhrase } from '../../core/backup/backup-format';
import { BACKUP_ATTENTION_TEXT, BACKUP_RUNNER_NAMES, backupAttentionOf, backupFailureAdvice, OVERDUE_INTERVALS } from '../../../shared/backup-health';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { paint } from '../io';
import { confirm, readSecret } from '../prompt';
import { withCore } from '../core';

const MIN_PASSPHRASE = 12;

interface BackupOptions {
  out?: string;
  passphraseStdin?: boolean;
  schedule?: string;
  keep?: string;
  every?: string;
  runScheduled?: boolean;
  force?: boolean;
  unschedule?: boolean;
  showSchedule?: boolean;
  json?: boolean;
}

/** The passphrase from stdin (checked for length), or a generated recovery phrase to print once. */
async function backupPassphrase(ctx: CommandContext, fromStdin: boolean): Promise<{ passphrase: string; generated: boolean }> {
  if (!fromStdin) return { passphrase: generateRecoveryPhrase(), generated: true };
  const passphrase = await readSecret(ctx.io, 'backup passphrase', true, '--passphrase-stdin');
  if ([...passphrase].length < MIN_PASSPHRASE) {
    throw new SophonError('invalid_input', `The backup passphrase is too short: use at least ${MIN_PASSPHRASE} characters, or leave out --passphrase-stdin to get a generated recovery phrase.`);
  }
  return { passphrase, generated: false };
}

function printRecoveryPhrase(ctx: CommandContext, phrase: string): void {
  ctx.io.out('');
  ctx.io.out('Recovery phrase (shown only this once; write it down and keep it apart from the backup file):');
  ctx.io.out('');
  ctx.io.out(`    ${phrase}`);
  ctx.io.out('');
  ctx.io.out('Without it the backup cannot be opened. Restore with: sophon vault restore FILE');
}

function positive(flag: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new SophonError('usage', `${flag} must be a positive ${integer ? 'whole ' : ''}number (got ${JSON.stringify(value)}).`);
  return n;
}

/**
 * `sophon vault backup --out FILE`: every connection of every user in this home, with its credential,
 * sealed under a passphrase (from stdin) or a generated recovery phrase printed here once. With
 * `--schedule`, `--run-scheduled`, `--unschedule` or `--show-schedule`: the scheduled backups (core/backup/schedule.ts).
 */
export async function vaultBackup(ctx: CommandContext, opts: BackupOptions): Promise<number> {
  const modes = [opts.out !== undefined, opts.schedule !== undefined, opts.runScheduled === true, opts.unschedule === true, opts.showSchedule === true].filter(Boolean).length;
  if (modes !== 1) throw new SophonError('usage', 'Give one of --out FILE, --schedule FOLDER, --run-scheduled, --unschedule or --show-schedule.');
  if (opts.runScheduled) return runScheduled(ctx, opts);
  if (opts.unschedule) {
    await withCore(ctx, (core) => core.backup.setSchedule(null));
    ctx.io.out('Scheduled backups are off; the backups already written stay where they are.');
    return ExitCode.ok;
  }
  if (opts.showSchedule) return showSchedule(ctx, opts);
  if (opts.schedule !== undefined) {
    const keep = positive('--keep', opts.keep, 7, true);
    const everyHours = positive('--every', opts.every, 24, false);
    const { passphrase, generated } = await backupPassphrase(ctx, opts.passphraseStdin === true);
    const schedule = await withCore(ctx, (core) => core.backup.setSchedule({ folder: resolve(opts.schedule!), keep, everyHours, passphrase }));
    if (opts.json) ctx.io.json({ schedule, ...(generated ? { recoveryPhrase: passphrase } : {}) });
    else {
      ctx.io.out(`Scheduled: a backup every ${schedule!.everyHours} h to ${schedule!.folder}, keeping ${schedule!.keep}. The app, \`sophon dashboard\` and \`sophon vault backup --run-scheduled\` (for cron) write them.`);
      if (generated) printRecoveryPhrase(ctx, passphrase);
    }
    return ExitCode.ok;
  }
  const out = resolve(opts.out!);
  const { passphrase, generated } = await backupPassphrase(ctx, opts.passphraseStdin === true);
  const summary = await withCore(ctx, (core) => core.backup.write(out, passphrase));
  if (opts.json) {
    ctx.io.json({ ...summary, ...(generated ? { recoveryPhrase: passphrase } : {}) });
  } else {
    ctx.io.out(`Backed up ${summary.connections} connection(s)${summary.linked ? ` (${summary.linked} linked CLI login(s): their secret stays with the CLI)` : ''} and ${summary.systemSecrets} OAuth client secret(s) to ${summary.file}.`);
    if (generated) printRecoveryPhrase(ctx, passphrase);
  }
  return ExitCode.ok;
}

/** `sophon vault backup --show-schedule`: the schedule, how its last run went, and whether it needs the person. */
async function showSchedule(ctx: CommandContext, opts: BackupOptions): Promise<number> {
  const { schedule, lastRun } = await withCore(ctx, async (core) => (await import('../../core/backup/schedule')).scheduleStatus(core));
  const attention = backupAttentionOf(schedule, lastRun, Date.now());
  if (opts.json) {
    ctx.io.json({ schedule, lastRun, attention });
    return ExitCode.ok;
  }
  if (!schedule) {
    ctx.io.out('No scheduled backups (set them with: sophon vault backup --schedule FOLDER).');
    return ExitCode.ok;
  }
  ctx.io.out(`Every ${schedule.everyHours} h to ${schedule.folder}, keeping ${schedule.keep}; last ${schedule.lastBackupAt ?? 'never'}, next due ${schedule.nextDueAt}.`);
  if (schedule.folderProblem) ctx.io.out(`${paint(ctx.io, 'red', 'Folder')}: ${schedule.folderProblem} No scheduled backup can be written there; fix it or set the schedule with another folder.`);
  if (lastRun === null) ctx.io.out('Last run: none recorded yet.');
  else if (lastRun.status === 'unknown') ctx.io.out(`Last run: unknown: ${lastRun.problem}`);
  else if (lastRun.status === 'ok') ctx.io.out(`Last run: ok at ${lastRun.at} (${BACKUP_RUNNER_NAMES[lastRun.by]}), wrote ${lastRun.file}.`);
  else {
    ctx.io.out(`${paint(ctx.io, 'red', 'Last run: FAILED')} at ${lastRun.at} (${BACKUP_RUNNER_NAMES[lastRun.by]}): ${lastRun.error.message} [${lastRun.error.code}]`);
    ctx.io.out(`What to do: ${backupFailureAdvice(lastRun.error.code)} (sophon vault backup --run-scheduled --force)`);
  }
  if (attention === 'overdue') ctx.io.out(`${paint(ctx.io, 'red', 'Overdue')}: ${BACKUP_ATTENTION_TEXT.overdue}: the newest is more than ${OVERDUE_INTERVALS + 1} × ${schedule.everyHours} h old. Is the app, sophon dashboard or cron running?`);
  return ExitCode.ok;
}

/** `sophon vault backup --run-scheduled`: for cron; exit 0 also when none was due. */
async function runScheduled(ctx: CommandContext, opts: BackupOptions): Promise<number> {
  const run = await withCore(ctx, (core) => core.backup.runScheduled({ force: opts.force === true }));
  if (opts.json) ctx.io.json(run);
  else if (run.outcome === 'unscheduled') ctx.io.out('No scheduled backups are set (sophon vault backup --schedule FOLDER); nothing was written.');
  else if (run.outcome === 'not_due') ctx.io.out(`Not due: the last backup is from ${run.schedule!.lastBackupAt}; the next is due ${run.schedule!.nextDueAt} (--force writes one now).`);
  else ctx.io.out(`Backed up ${run.summary!.connections} connection(s) to ${run.summary!.file}${run.removed.length ? `; removed ${run.removed.length} older backup(s) to keep ${run.schedule!.keep}` : ''}.`);
  return ExitCode.ok;
}

/**
 * `sophon vault restore FILE`: checks the file (passphrase, every byte), shows what it adds and every
 * conflict, then restores all of it or nothing under this machine's key.
 */
export async function vaultRestore(ctx: CommandContext, file: string, opts: { passphraseStdin?: boolean; replace?: boolean; dryRun?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  const path = resolve(file);
  const passphrase = await readSecret(ctx.io, 'backup passphrase or recovery phrase', opts.passphraseStdin === true, '--passphrase-stdin');
  const body = await readBackup(path, passphrase);
  return withCore(ctx, async (core) => {
    const plan = await core.backup.plan(body, opts.replace ? 'replace' : 'merge');
    if (!opts.json || opts.dryRun) show(ctx, plan, opts.json === true);
    const changes = plan.connections.some((c) => c.action !== 'keep') || [...plan.systemSecrets, ...plan.oauthClients, ...plan.connectors].some((s) => s.action === 'add' || s.action === 'replace');
    if (opts.dryRun || !changes) {
      if (opts.json && !opts.dryRun) ctx.io.json(plan);
      if (!opts.json) ctx.io.out(opts.dryRun ? 'Dry run: nothing was changed.' : 'Nothing to restore: every connection in the backup is already here (see above).');
      return ExitCode.ok;
    }
    if (!opts.json && !opts.yes && !(await confirm(ctx.io, 'Restore this?'))) {
      ctx.io.out('Nothing was changed.');
      return ExitCode.ok;
    }
    const report = await core.backup.apply(body, plan);
    if (opts.json) ctx.io.json(report);
    else ctx.io.out(`Restored: ${count(report, 'add')} added, ${count(report, 'replace')} replaced, ${count(report, 'keep')} kept as they were. Run \`sophon connect test <id>\` to check each.`);
    return ExitCode.ok;
  });
}

function count(r: RestoreReport, action: 'add' | 'replace' | 'keep'): number {
  return r.connections.filter((c) => c.action === action).length;
}

function show(ctx: CommandContext, plan: RestoreReport, json: boolean): void {
  if (json) {
    ctx.io.json(plan);
    return;
  }
  const word = { add: paint(ctx.io, 'green', 'add'), replace: paint(ctx.io, 'yellow', 'replace'), keep: paint(ctx.io, 'dim', 'keep') };
  for (const c of plan.connections) ctx.io.out(`${word[c.action]} ${c.userId}/${c.id}: ${c.label} (${c.serviceId})${c.note ? ` — ${c.note}` : ''}`);
  for (const s of plan.systemSecrets) {
    if (s.action === 'same') continue;
    ctx.io.out(`${word[s.action]} system secret ${s.name}${s.note ? ` — ${s.note}` : ''}`);
  }
  for (const c of plan.oauthClients) {
    if (c.action === 'same') continue;
    ctx.io.out(`${word[c.action]} OAuth client ${c.serviceId}: ${c.clientId}${c.note ? ` — ${c.note}` : ''}`);
  }
  for (const c of plan.connectors) {
    if (c.action === 'same') continue;
    ctx.io.out(`${word[c.action]} connector ${c.file}${c.serviceId ? ` (${c.serviceId})` : ''}${c.note ? ` — ${c.note}` : ''}`);
  }
}
