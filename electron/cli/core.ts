import { databaseError } from '../core/fs/storage-errors';
import { createCore, type Core } from '../core/sophon-core';
import { assertValidId } from '../core/vault/ids';
import { AmbiguousConnectionError } from '../core/connections/connection-ref';
import type { CommandContext } from './context';
import { askSecretField, choose } from './prompt';
import { configureLog, envLogLevel, log } from '../core/log/log';

/**
 * Opens the core for one command and always closes the database after it. `readsOnly`: the command
 * writes nothing, so it works on a read-only SOPHON_HOME. SQLite's errors (a damaged file, a full
 * disk) become one line naming sophon.db.
 */
export async function withCore<T>(ctx: CommandContext, fn: (core: Core) => Promise<T>, options: { readsOnly?: boolean } = {}): Promise<T> {
  assertValidId('user', ctx.global.user);
  // `--debug` (or SOPHON_LOG_LEVEL) raises what goes into logs/sophon.log for this command.
  configureLog({ override: ctx.global.debug ? 'debug' : envLogLevel(ctx.env) });
  const core = await createCore({ home: ctx.global.home, env: ctx.env, askSecret: askPin(ctx), readOnlyFallback: options.readsOnly });
  for (const warning of core.warnings) ctx.io.err(`warning: ${warning}`);
  log('debug', 'cli.core_opened', { home: core.paths.home, user: ctx.global.user, warnings: core.warnings.length });
  try {
    return await fn(core);
  } catch (err) {
    throw databaseError(err, core.paths.database);
  } finally {
    core.close();
  }
}

/** A key protector's PIN is asked for on a terminal only; elsewhere it must be in the OS keychain. */
export function askPin(ctx: CommandContext): (question: string) => Promise<string | undefined> {
  return (question) => askSecretField(ctx.io, `${question}:`);
}

/** A connection reference that fits several connections is asked about on a terminal, and an error elsewhere. */
export async function resolveRef(ctx: CommandContext, core: Core, ref: string): Promise<string> {
  try {
    return core.connections.resolve(ctx.global.user, ref).id;
  } catch (err) {
    if (!(err instanceof AmbiguousConnectionError)) throw err;
    const picked = await choose(
      ctx.io,
      `"${ref}" matches several connections; which one?`,
      err.choices.map((c) => ({ value: c.id, name: `${c.label}  ${c.serviceId}  (${c.id})` })),
    );
    if (picked === undefined) throw err;
    return picked;
  }
}
