import { isSophonError } from '../errors';
import type { Database } from '../db/database';
import type { MasterKey } from '../keys/key-protector';
import type { KeyState } from '../keys/master-key';
import type { ChainBreak } from './chain-store';
import { verifyChainParallel, type ParallelVerifyOptions } from './parallel-verify';
import type { AuditHeadStore, HeadState } from './audit-head';

export interface AuditVerifyReport {
  /** True when every row links and hashes, and the head outside the database (if it could be read) agrees. */
  ok: boolean;
  rows: number;
  lastId: number | null;
  lastHash: string;
  head: { state: HeadState['state']; rowId: number | null; detail: string | null };
  break: ChainBreak | null;
}

export interface AuditVerifyDeps {
  db: Database;
  head: AuditHeadStore;
  keys: { state(): Promise<KeyState>; get(): Promise<MasterKey> };
  /** How the chain is split over worker threads (parallel-verify.ts); the defaults outside tests. */
  parallel?: ParallelVerifyOptions;
}

/**
 * `sophon audit verify`: the chain inside sophon.db, then its end against the signed head. Without the
 * vault key the chain is still checked; the head is reported "unavailable", not a failure.
 */
export async function verifyAuditTrail(deps: AuditVerifyDeps): Promise<AuditVerifyReport> {
  const head = await readHead(deps);
  const chain = await verifyChainParallel(deps.db, head.state === 'verified' ? head.head : null, deps.parallel);
  const detail =
    head.state === 'unavailable' || head.state === 'forged'
      ? head.reason
      : head.state === 'other_key'
        ? `signed by an earlier vault key (${head.keyId}); the next write under this key signs it again`
        : head.state === 'missing'
          ? 'no head yet: no row has been written by a process holding the vault key'
          : null;
  return {
    ok: chain.break === null && head.state !== 'forged',
    rows: chain.rows,
    lastId: chain.lastId,
    lastHash: chain.lastHash,
    head: { state: head.state, rowId: head.state === 'verified' ? head.head.rowId : null, detail },
    break: chain.break,
  };
}

async function readHead(deps: AuditVerifyDeps): Promise<HeadState> {
  const present = deps.head.read(null);
  if (present.state === 'missing') return present;
  try {
    // state() never creates a key: an empty vault has none to check the head with.
    const state = await deps.keys.state();
    if (!state.reachable || state.keyId === null) return deps.head.read(null, state.problem ?? 'there is no vault key yet');
    return deps.head.read(await deps.keys.get());
  } catch (err) {
    if (!isSophonError(err)) throw err;
    return deps.head.read(null, err.message);
  }
}
