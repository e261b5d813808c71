import { z } from 'zod';
import { SophonError } from '../../core/errors';
import { validate } from '../../core/validation/parse';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table } from '../io';
import { when } from '../time';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since 2h`, `--since 7d`, or an ISO date/time. */
export function parseSince(value: string, now = Date.now()): number {
  const rel = /^(\d+)([mhdw])$/.exec(value);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new SophonError('usage', `--since takes a duration like 30m, 2h, 7d, or a date like 2026-11-01, not "${value.slice(0, 40)}".`);
  return t;
}

const AuditOptions = z.object({
  connection: z.string().max(200).optional(),
  skill: z.string().max(200).optional(),
  since: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  json: z.boolean().optional(),
});

/** `sophon audit`: every credential access, newest first. Scoped to --user (default: the current user). */
export async function audit(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(AuditOptions, raw, 'audit options');
  return withCore(ctx, async (core) => {
    const connectionId = opts.connection === undefined ? undefined : core.connections.historyId(ctx.global.user, opts.connection);
    const rows = core.audit.query({
      userId: ctx.global.user,
      connectionId,
      skill: opts.skill,
      since: opts.since ? parseSince(opts.since) : undefined,
      limit: opts.limit,
    });
    if (opts.json) ctx.io.json({ rows });
    else if (rows.length === 0) ctx.io.out('No audit rows match.');
    else
      ctx.io.out(
        table(
          [
            ['TIME', 'USER', 'ACTION', 'OUTCOME', 'CONNECTION', 'SKILL', 'TOOL', 'DETAIL'],
            ...rows.map((r) => [when(r.at, true), r.userId, r.action, r.outcome, r.connectionId ?? '-', r.skill ?? '-', r.tool ?? '-', r.detail ?? '']),
          ],
          // A narrow terminal loses the user (it is --user's), then the tool and the skill; the detail is cut.
          { width: ctx.io.columns, drop: [1, 6, 5], shrink: [7, 4] },
        ),
      );
    return ExitCode.ok;
  }, { readsOnly: true });
}

/** `sophon audit verify`: walks the hash chain and checks its end against the signed head; exit 6 on a break. */
export async function auditVerify(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(z.object({ json: z.boolean().optional() }), raw, 'audit verify options');
  return withCore(ctx, async (core) => {
    const report = await core.verifyAudit();
    if (opts.json) ctx.io.json(report);
    else {
      if (report.break) ctx.io.out(`${paint(ctx.io, 'red', 'BROKEN')} row ${report.break.rowId} (${report.break.kind}): ${report.break.message}`);
      const head =
        report.head.state === 'verified'
          ? `head verified at row ${report.head.rowId}`
          : `head ${report.head.state.replace('_', ' ')}${report.head.detail ? `: ${report.head.detail}` : ''}`;
      ctx.io.out(`${report.ok ? paint(ctx.io, 'green', 'OK') : paint(ctx.io, 'red', 'FAIL')} ${report.rows} row(s) chained${report.lastId === null ? '' : ` up to row ${report.lastId}`}; ${head}.`);
    }
    return report.ok ? ExitCode.ok : ExitCode.vault;
  }, { readsOnly: true });
}

const ExportOptions = z.object({
  format: z.enum(['jsonl', 'csv'], { error: () => '--format takes jsonl or csv' }).default('jsonl'),
  since: z.string().max(64).optional(),
});

const EXPORT_COLUMNS = ['id', 'at', 'time', 'user_id', 'connection_id', 'service_id', 'skill', 'tool', 'action', 'outcome', 'detail', 'prev_hash', 'hash'] as const;

/**
 * `sophon audit export`: every row (all users: the chain links them all) in id order with its chain hashes,
 * for a SIEM. `at` stays the integer the hash covers; `time` is the same instant for people.
 */
export async function auditExport(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(ExportOptions, raw, 'audit export options');
  return withCore(ctx, async (core) => {
    const since = opts.since ? parseSince(opts.since) : undefined;
    const rows = core.audit.exportRows(since);
    const lines: string[] = [];
    const emit = (line: string): void => {
      lines.push(line);
      if (lines.length >= 1000) ctx.io.out(lines.splice(0).join('\n'));
    };
    if (opts.format === 'csv') emit(EXPORT_COLUMNS.join(','));
    for (const r of rows) {
      const values = [r[0], r[1], new Date(r[1] as number).toISOString(), ...r.slice(2)];
      if (opts.format === 'csv') emit(values.map(csvField).join(','));
      else emit(JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, values[i] ?? null]))));
    }
    if (lines.length) ctx.io.out(lines.join('\n'));
    return ExitCode.ok;
  }, { readsOnly: true });
}

/** RFC 4180; NULL is an empty field and an empty string is "", so the two stay apart. */
function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  return `"${v.replace(/"/g, '""')}"`;
}
