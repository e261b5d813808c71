import { z } from 'zod';
import { ApiTokenStore } from '../../core/api-tokens/token-store';
import { resolveHome, sophonPaths } from '../../core/config/paths';
import { SophonError } from '../../core/errors';
import { validate } from '../../core/validation/parse';
import { assertValidId } from '../../core/vault/ids';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { table } from '../io';

const tokenStore = (ctx: CommandContext) => new ApiTokenStore(sophonPaths(resolveHome(ctx.global.home, ctx.env)).configDir);

/**
 * `sophon api-token create --user U [--admin]`: a REST API token for user U. Printed once, to stdout
 * only; Sophon keeps only its SHA-256.
 */
export async function apiTokenCreate(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(z.object({ admin: z.boolean().optional(), json: z.boolean().optional() }), raw, 'api-token options');
  assertValidId('user', ctx.global.user);
  const { token, entry } = await tokenStore(ctx).create(ctx.global.user, { admin: opts.admin === true });
  if (opts.json) {
    ctx.io.json({ token, id: entry.id, userId: entry.userId, admin: entry.admin, createdAt: entry.createdAt });
  } else {
    ctx.io.err(`API token ${entry.id} for user ${entry.userId}${entry.admin ? ' (admin)' : ''}. It is shown only now; Sophon keeps only its hash:`);
    ctx.io.out(token);
  }
  return ExitCode.ok;
}

/** `sophon api-token list`: ids, users and roles — never a token. */
export async function apiTokenList(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const tokens = (await tokenStore(ctx).list()).map(({ id, userId, admin, kind, createdAt }) => ({ id, userId, admin, kind, createdAt }));
  if (opts.json) ctx.io.json({ tokens });
  else if (tokens.length === 0) ctx.io.out('No API tokens.');
  else ctx.io.out(table([['ID', 'USER', 'ROLE', 'KIND', 'CREATED'], ...tokens.map((t) => [t.id, t.userId, t.admin ? 'admin' : 'user', t.kind, t.createdAt])]));
  return ExitCode.ok;
}

/** `sophon api-token revoke <id>`: the token stops working at once (servers re-read the token file). */
export async function apiTokenRevoke(ctx: CommandContext, id: string): Promise<number> {
  if (!(await tokenStore(ctx).revoke(id))) throw new SophonError('not_found', `No API token ${id.slice(0, 40)} (see \`sophon api-token list\`).`);
  ctx.io.out(`Revoked API token ${id}.`);
  return ExitCode.ok;
}
