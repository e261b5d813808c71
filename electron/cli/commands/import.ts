import { z } from 'zod';
import type { ImportScan, LoginView } from '../../core/import/importer';
import { fromChoices, IMPORT_SOURCES } from '../../core/import/sources/registry';
import { validate } from '../../core/validation/parse';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table } from '../io';
import { when } from '../time';
import { spinner } from '../spinner';

const OptionsSchema = z.object({
  from: z.enum([...fromChoices().keys()] as [string, ...string[]]).optional(),
  all: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  copy: z.boolean().optional(),
  json: z.boolean().optional(),
});

function loginRows(logins: LoginView[]): string[][] {
  return [
    ['#', 'SOURCE', 'ACCOUNT', 'HOST', 'SERVICE', 'PLAN / SCOPES', 'EXPIRES', 'MODE', 'IMPORTED'],
    ...logins.map((l, i) => [
      String(i + 1),
      l.sourceName + (l.source === 'env' ? ` ${l.store}` : ''),
      l.account ?? '-',
      l.host ?? '-',
      l.serviceId,
      [l.plan, l.scopes.join(' ')].filter(Boolean).join(' / ') || '-',
      l.expiresAt ? `${when(l.expiresAt)}${l.expired ? ' (expired)' : ''}` : 'never',
      l.mode,
      l.importedAs ?? 'no',
    ]),
  ];
}

/** A login as a person tells it apart (never its internal key, which holds folders and store names). */
const describe = (l: LoginView) => `${l.sourceName}: ${l.account ?? (l.source === 'env' ? l.store : 'login')}${l.host ? ` on ${l.host}` : ''} → ${l.serviceId}`;

async function pick(ctx: CommandContext, candidates: LoginView[]): Promise<string[]> {
  const { checkbox } = await import('@inquirer/prompts');
  return checkbox(
    {
      message: 'Import which logins? (space to select, enter to confirm)',
      choices: candidates.map((l) => ({
        value: l.key,
        name: `${describe(l)}${l.expired ? ' (expired)' : ''}`,
      })),
    },
    { output: process.stderr },
  );
}

/**
 * `sophon connect import`: lists the logins gh, Claude Code, Codex and the environment hold, and
 * imports the chosen ones (--all, or a pick on a terminal). Without either it only lists.
 */
export async function connectImport(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(OptionsSchema, raw, 'Options');
  const kinds: readonly string[] = opts.from ? (fromChoices().get(opts.from) ?? []) : IMPORT_SOURCES;
  return withCore(ctx, async (core) => {
    const importer = await core.imports();
    const scan = await spinner(ctx.io, 'Looking for CLI logins', () => importer.scan(ctx.global.user, kinds, { copy: opts.copy }));
    const candidates = scan.logins.filter((l) => l.importedAs === null);
    const interactive = ctx.io.isTTY && !opts.json && !opts.dryRun && !opts.all && candidates.length > 0;
    const show = (logins: LoginView[]) => {
      for (const s of scan.sources) {
        for (const m of s.messages) ctx.io.err(`${paint(ctx.io, s.status === 'error' ? 'red' : s.status === 'missing' ? 'dim' : 'yellow', `${s.source}:`)} ${m}`);
      }
      if (logins.length === 0) ctx.io.out('No CLI logins found.');
      else ctx.io.out(table(loginRows(logins), { width: ctx.io.columns, drop: [3, 7, 0], shrink: [2, 5, 4] }));
      for (const l of logins) if (l.brokerPolicy && l.importedAs === null) ctx.io.out(`note: ${l.sourceName}: ${l.brokerPolicy}`);
    };
    let keys: string[] = [];
    let hint: string | null = null;
    if (opts.dryRun) hint = null;
    else if (opts.all) keys = candidates.map((l) => l.key);
    else if (interactive) {
      // What was found first, then the question; a login the broker will never use (a Claude
      // subscription) is explained in the notes and not offered.
      show(scan.logins);
      const usable = candidates.filter((l) => l.brokerPolicy === null);
      if (usable.length > 0) keys = await pick(ctx, usable);
    } else if (candidates.length > 0) hint = 'Nothing was imported: run `sophon connect import --all` to import these (or `--from <source> --all`), or run it on a terminal to choose.';

    const result = keys.length
      ? await spinner(ctx.io, 'Importing', () => importer.import(ctx.global.user, scan, keys, { copy: opts.copy }))
      : { imported: [], skipped: [] };
    const done = new Map(result.imported.map((i) => [i.key, i.connectionId]));
    const logins = scan.logins.map((l) => ({ ...l, importedAs: l.importedAs ?? done.get(l.key) ?? null }));
    if (opts.json) {
      // What a program needs; the advice for a person (the hint) stays in the human output.
      const report: ImportScan & { imported: typeof result.imported; skipped: typeof result.skipped; dryRun: boolean } = {
        sources: scan.sources,
        logins,
        imported: result.imported,
        skipped: result.skipped,
        dryRun: opts.dryRun === true,
      };
      ctx.io.json(report);
      return ExitCode.ok;
    }
    if (!interactive) show(logins);
    if (opts.copy && logins.some((l) => !l.copyAllowed)) ctx.io.err('--copy applies to gh and environment logins only; the others stay linked to the program that owns them.');
    const byKey = new Map(scan.logins.map((l) => [l.key, l]));
    const named = (key: string) => {
      const l = byKey.get(key);
      return l ? describe(l) : 'a login';
    };
    for (const i of result.imported) ctx.io.out(`Imported ${named(i.key)} as ${i.connectionId} (${i.mode}).`);
    for (const s of result.skipped) ctx.io.err(`Skipped ${named(s.key)}: ${s.reason}`);
    if (hint) ctx.io.err(hint);
    return ExitCode.ok;
  });
}
