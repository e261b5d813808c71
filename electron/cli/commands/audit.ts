import { z } from 'zod';
import { SophonError } from '../../core/errors';
import { validate } from '../../core/validation/parse';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { table } from '../io';
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
    let connectionId = opts.connection;
    if (connectionId !== undefined) {
      // A removed connection still has its history: fall back to the raw id when nothing current matches.
      try {
        connectionId = core.connections.resolve(ctx.global.user, connectionId).id;
      } catch (err) {
        if (!(err instanceof SophonError) || err.code !== 'not_found') throw err;
      }
    }
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
