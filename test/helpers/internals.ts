import { composeCore, type Core, type CoreInternals, type CreateCoreOptions } from '../../electron/core/sophon-core';

/** A core with the storage it is built from beside its services. */
export type CoreWithInternals = Core & CoreInternals;

/**
 * A core together with the storage it is built from (sophon.db, its connection store, the vault
 * backend), for tests that plant or inspect stored state on purpose: a file put back, a row edited, a
 * credential read as stored. Every door gets `createCore()`, which exposes none of these.
 */
export async function openCoreInternals(options: CreateCoreOptions = {}): Promise<CoreWithInternals> {
  const { core, internals } = await composeCore(options);
  return { ...core, ...internals };
}
