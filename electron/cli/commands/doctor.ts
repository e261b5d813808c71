import { existsSync } from 'node:fs';
import { createOperations } from '../../core/api/operations';
import { resolveHome, sophonPaths } from '../../core/config/paths';
import { configureLog, envLogLevel, logFilePath } from '../../core/log/log';
import { createCore } from '../../core/sophon-core';
import type { CommandContext } from '../context';
import { askPin } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table } from '../io';

interface DoctorReport {
  home: string;
  log: { file: string; exists: boolean };
  vault: { provider: string; keyProtector: string; keyReachable: boolean; credentials: number } | null;
  database: { file: string; opens: boolean };
  problems: string[];
  /** Advice that does not make the check fail (the key's rotation reminder). */
  reminders: string[];
}

/**
 * `sophon doctor`: where this Sophon keeps its data and its log, and whether the vault's key and the
 * database can be reached. Opens read-only where it can; creates nothing but what opening creates.
 * The vault part is the contract's `vault.status` operation, as the app's Vault page shows it.
 */
export async function doctor(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const home = resolveHome(ctx.global.home, ctx.env);
  const paths = sophonPaths(home);
  const logFile = logFilePath(home);
  configureLog({ override: ctx.global.debug ? 'debug' : envLogLevel(ctx.env) });
  const report: DoctorReport = { home, log: { file: logFile, exists: false }, vault: null, database: { file: paths.database, opens: false }, problems: [], reminders: [] };
  try {
    const core = await createCore({ home, env: ctx.env, askSecret: askPin(ctx), readOnlyFallback: true });
    try {
      report.database.opens = true;
      report.problems.push(...core.warnings);
      const operations = createOperations({ core, ownerUserId: ctx.global.user, emit: () => 0 });
      const v = await operations['vault.status']({ userId: ctx.global.user, isAdmin: true }, {});
      report.vault = { provider: v.provider, keyProtector: v.keyProtector.kind, keyReachable: v.keyProtector.reachable, credentials: v.credentials };
      report.problems.push(...v.problems);
      if (v.key?.reminder) report.reminders.push(v.key.reminder);
    } finally {
      core.close();
    }
  } catch (err) {
    report.problems.push(err instanceof Error ? err.message : String(err));
  }
  report.log.exists = existsSync(logFile);
  const healthy = report.database.opens && report.vault?.keyReachable === true;
  if (opts.json) {
    ctx.io.json(report);
  } else {
    const yesNo = (ok: boolean) => (ok ? paint(ctx.io, 'green', 'yes') : paint(ctx.io, 'red', 'no'));
    ctx.io.out(
      table([
        ['Data folder', home],
        ['Log file', `${logFile}${report.log.exists ? '' : ' (not written yet)'}`],
        ['Provider', report.vault?.provider ?? '?'],
        ['Key protector', report.vault?.keyProtector ?? '?'],
        ['Key reachable', yesNo(report.vault?.keyReachable === true)],
        ['Database', paths.database],
        ['Database opens', yesNo(report.database.opens)],
      ]),
    );
    for (const r of report.reminders) ctx.io.out(`${paint(ctx.io, 'yellow', 'reminder:')} ${r}`);
    for (const p of report.problems) ctx.io.out(`${paint(ctx.io, 'red', 'problem:')} ${p}`);
  }
  // 6 when the vault's key cannot be reached (as `vault status`), 1 when the database does not open.
  if (healthy) return ExitCode.ok;
  return report.database.opens ? ExitCode.vault : ExitCode.failure;
}
