import type { Connection } from '../../../shared/connections';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table, type CliIO } from '../io';
import { when } from '../time';
import { authMethodName } from '../../../shared/auth-names';

export { when };

// `connect list` on its own: the bundle for plain lists (electron/cli/list-main.ts) carries this and
// not the rest of `sophon connect`.

export function stateBadge(io: CliIO, c: Connection): string {
  if (c.state === 'active') return paint(io, 'green', 'active');
  if (c.state === 'needs_reauth') return paint(io, 'yellow', 'needs re-auth');
  if (c.state === 'untested') return paint(io, 'yellow', 'untested');
  return paint(io, 'red', 'error');
}


export async function connectList(ctx: CommandContext, opts: { json?: boolean; available?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    if (opts.available) {
      const catalog = await core.connections.catalog();
      const services = catalog.entries.map(({ service: s, source }) => ({
        id: s.id,
        name: s.name,
        group: s.group,
        authMethod: s.auth.method,
        defaultScopes: s.defaultScopes,
        fields: s.auth.fields.map((f) => ({ name: f.name, label: f.label, secret: f.secret, required: f.required })),
        source: source.kind === 'connector' ? source.file : 'builtin',
        unverified: s.unverified,
      }));
      if (opts.json) ctx.io.json({ services, problems: catalog.problems });
      else {
        ctx.io.out(
          table(
            [['SERVICE', 'NAME', 'GROUP', 'AUTH'], ...catalog.entries.map(({ service: s }) => [s.id, s.name, s.group, authMethodName(s.auth.method, s.auth.secretLabel)])],
            { width: ctx.io.columns, drop: [2], shrink: [1, 3] },
          ),
        );
        for (const p of catalog.problems) ctx.io.err(`${paint(ctx.io, 'yellow', 'connector problem:')} ${p.file}: ${p.message}`);
      }
      return ExitCode.ok;
    }
    const connections = await core.connections.list(ctx.global.user);
    if (opts.json) ctx.io.json({ connections });
    else if (connections.length === 0) ctx.io.out('No connections yet. Add one with `sophon connect add <service>`; see `sophon connect list --available`.');
    else
      ctx.io.out(
        table(
          [
            ['ID', 'SERVICE', 'LABEL', 'STATE', 'LAST USED', 'LAST TEST'],
            ...connections.map((c) => [c.id, c.serviceId, c.label, stateBadge(ctx.io, c), when(c.lastUsedAt), c.lastTest ? `${c.lastTest.status} ${when(c.lastTest.at)}` : '-']),
          ],
          // On a narrow terminal: the last test goes first, then the service (the id starts with it), then last use.
          { width: ctx.io.columns, drop: [5, 1, 4], shrink: [2] },
        ),
      );
    // Found by the start-up check (a directory listing, no decryption): say so, since they are not listed.
    const unlisted = core.startup.unlisted.filter((u) => u.userId === ctx.global.user).length;
    if (!opts.json && unlisted > 0) ctx.io.err(`${paint(ctx.io, 'yellow', 'note:')} ${unlisted} credential file(s) in the vault have no connection (was sophon.db lost?). They are kept: \`sophon vault verify\` lists them, \`sophon vault recover\` lists them again.`);
    return ExitCode.ok;
  }, { readsOnly: true });
}
