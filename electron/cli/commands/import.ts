import { z } from 'zod';
import type { ImportScan, LoginView } from '../../core/import/importer';
import { FROM_CHOICES, IMPORT_SOURCES, type FromChoice, type ImportSourceKind } from '../../core/import/types';
import { validate } from '../../core/validation/parse';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table } from '../io';

const OptionsSchema = z.object({
  from: z.enum(Object.keys(FROM_CHOICES) as [FromChoice, ...FromChoice[]]).optional(),
  all: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  copy: z.boolean().optional(),
  json: z.boolean().optional(),
});

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 16) : '-');

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

async function pick(ctx: CommandContext, candidates: LoginView[]): Promise<string[]> {
  const { checkbox } = await import('@inquirer/prompts');
  return checkbox(
    {
      message: 'Import which logins? (space to select, enter to confirm)',
      choices: candidates.map((l) => ({
        value: l.key,
        name: `${l.sourceName}: ${l.account ?? l.store}${l.host ? ` on ${l.host}` : ''} → ${l.serviceId}${l.expired ? ' (expired)' : ''}`,
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
  const kinds: readonly ImportSourceKind[] = opts.from ? FROM_CHOICES[opts.from] : IMPORT_SOURCES;
  return withCore(ctx, async (core) => {
    const importer = await core.imports();
    const scan = await importer.scan(ctx.global.user, kinds, { copy: opts.copy });
    const candidates = scan.logins.filter((l) => l.importedAs === null);
    let keys: string[] = [];
    let hint: string | null = null;
    if (opts.dryRun) hint = null;
    else if (opts.all) keys = candidates.map((l) => l.key);
    else if (ctx.io.isTTY && !opts.json && candidates.length > 0) keys = await pick(ctx, candidates);
    else if (candidates.length > 0) hint = 'Nothing was imported: run `sophon connect import --all` to import these (or `--from <source> --all`), or run it on a terminal to choose.';

    const result = keys.length ? await importer.import(ctx.global.user, scan, keys, { copy: opts.copy }) : { imported: [], skipped: [] };
    const done = new Map(result.imported.map((i) => [i.key, i.connectionId]));
    const logins = scan.logins.map((l) => ({ ...l, importedAs: l.importedAs ?? done.get(l.key) ?? null }));
    const report: ImportScan & { imported: typeof result.imported; skipped: typeof result.skipped; dryRun: boolean; hint: string | null } = {
      sources: scan.sources,
      logins,
      imported: result.imported,
      skipped: result.skipped,
      dryRun: opts.dryRun === true,
      hint,
    };
    if (opts.json) {
      ctx.io.json(report);
      return ExitCode.ok;
    }
    for (const s of scan.sources) {
      for (const m of s.messages) ctx.io.err(`${paint(ctx.io, s.status === 'error' ? 'red' : s.status === 'missing' ? 'dim' : 'yellow', `${s.source}:`)} ${m}`);
    }
    if (logins.length === 0) ctx.io.out('No CLI logins found.');
    else ctx.io.out(table(loginRows(logins)));
    for (const l of logins) if (l.brokerPolicy && l.importedAs === null) ctx.io.out(`note: ${l.sourceName}: ${l.brokerPolicy}`);
    if (opts.copy && logins.some((l) => !l.copyAllowed)) ctx.io.err('--copy applies to gh and environment logins only; the others stay linked to the program that owns them.');
    for (const i of result.imported) ctx.io.out(`Imported ${i.key} as ${i.connectionId} (${i.mode}).`);
    for (const s of result.skipped) ctx.io.err(`Skipped ${s.key}: ${s.reason}`);
    if (hint) ctx.io.err(hint);
    return ExitCode.ok;
  });
}
