import type { AuditRow } from '../../../shared/connections';
import type { Transaction } from 'better-sqlite3';
import type { Database } from '../db/database';
import type { MasterKey } from '../keys/key-protector';
import type { KeyState } from '../keys/master-key';
import { chainTail, rowHash, type ChainFields, type TrustedHead } from './chain-store';
import type { AuditHeadStore } from './audit-head';
import { SophonError } from '../errors';
import { AUDIT_CHUNK, AuditStore, type AuditExportRow, type AuditFilter } from './audit-store';
import type { AuditVerifyReport } from './audit-verify';

/** What was done with a credential. Each is one row; no row ever carries a secret. */
export const AUDIT_ACTIONS = ['add', 'test', 'use', 'refresh', 'import', 'remove', 'revoke', 'rename', 'reauth', 'update', 'reveal', 'reconcile', 'broker_mint', 'broker_use', 'mcp_call', 'mcp_approval', 'mcp_elicit', 'backup', 'restore'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = 'ok' | 'failed' | 'denied' | 'aborted';

export interface AuditEntry {
  userId: string;
  action: AuditAction;
  outcome: AuditOutcome;
  connectionId?: string | null;
  serviceId?: string | null;
  skill?: string | null;
  tool?: string | null;
  /** Short, for a person; never a secret, never a raw response body. */
  detail?: string | null;
  at?: number;
}

export type { AuditFilter } from './audit-store';

/** At most one head write a second per process. */
const HEAD_INTERVAL_MS = 1_000;

/** Where the chain's head is kept outside the database, and the vault key to sign it if this process has it. */
export interface AuditHeadWriter {
  store: AuditHeadStore;
  /** The vault key if it is already loaded; never loads it (`connect list` must not touch the keychain). */
  key: () => MasterKey | undefined;
}

/**
 * The audit trail: rows appended to one hash chain (audit-store.ts holds the SQL), its signed head kept
 * outside the database, and the reads every door shows.
 */
export class AuditLog {
  private readonly store: AuditStore;
  private readonly append: Transaction<(batch: readonly AuditEntry[], batchId?: string) => TrustedHead>;
  private headPending: { key: MasterKey; head: TrustedHead } | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private headWrittenAt = 0;

  constructor(
    private readonly db: Database,
    private readonly head?: AuditHeadWriter,
  ) {
    const store = (this.store = new AuditStore(db));
    // Each row links to the row before it, read in the same write transaction: SQLite lets one writer in at
    // a time, so the chain stays one line whatever the number of processes writing. One statement per CHUNK
    // rows: a busy broker's batch costs a few statement runs, not one per row. A batch with an id is appended
    // once: its id is recorded in the same transaction, and a batch whose id is there already adds nothing.
    this.append = db.transaction((batch: readonly AuditEntry[], batchId?: string): TrustedHead => {
      let { id, hash } = chainTail(db);
      if (batchId !== undefined && !store.claimBatch(batchId, Date.now())) return { rowId: id, hash };
      const values: (string | number | null)[] = [];
      const push = (e: AuditEntry): void => {
        // Hashed as SQLite will give them back: a lone surrogate is stored as U+FFFD.
        const fields: ChainFields = [++id, e.at ?? Date.now(), e.userId.toWellFormed(), wf(e.connectionId), wf(e.serviceId), wf(e.skill), wf(e.tool), e.action, e.outcome, wf(e.detail)];
        const next = rowHash(hash, fields);
        values.push(...fields, hash, next);
        hash = next;
      };
      let i = 0;
      if (batch.length >= AUDIT_CHUNK) {
        for (; i + AUDIT_CHUNK <= batch.length; i += AUDIT_CHUNK) {
          values.length = 0;
          for (let j = i; j < i + AUDIT_CHUNK; j++) push(batch[j]!);
          store.insertChunk(values);
        }
      }
      for (; i < batch.length; i++) {
        values.length = 0;
        push(batch[i]!);
        store.insertRow(values);
      }
      return { rowId: id, hash };
    });
  }

  record(entry: AuditEntry): void {
    this.recordMany([entry]);
  }

  /**
   * Many rows in one transaction: how a busy broker keeps every use without a write per request. With a
   * `batchId`, rows whose batch was committed before under that id are not written again (audit_batches).
   */
  recordMany(entries: readonly AuditEntry[], batchId?: string): void {
    this.commit(entries, batchId);
  }

  /** recordMany, returning where the chain ends after these rows (the broker's audit writer reports it back). */
  commit(entries: readonly AuditEntry[], batchId?: string): TrustedHead | undefined {
    if (entries.length === 0) return undefined;
    const head = this.append.immediate(entries, batchId);
    this.committed(head);
    return head;
  }

  /**
   * A write committed by another process for this one (the broker's audit writer, which does not hold the
   * vault key): the head outside the database moves forward as after a write of this process.
   */
  advanceHead(head: TrustedHead): void {
    this.committed(head);
  }

  /**
   * recordMany, but false at once, writing nothing, when another connection holds the write lock (another
   * broker worker writing its batch): waiting for it (busy_timeout) would stall every call of this process.
   */
  tryRecordMany(entries: readonly AuditEntry[], batchId?: string): boolean {
    if (entries.length === 0) return true;
    let head: TrustedHead;
    try {
      head = this.store.withoutBusyWait(() => this.append.immediate(entries, batchId));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw err;
    }
    this.committed(head);
    return true;
  }

  /**
   * After a committed write: the head outside the database moves forward, at once the first time and then
   * at most once a second (a busy broker's batches come every 100 ms). A head that lags is still true;
   * `flushHead` (on close) writes the last one.
   */
  private committed(head: TrustedHead): void {
    const key = this.head?.key();
    if (!key) return;
    this.headPending = { key, head };
    if (this.headTimer) return;
    const wait = HEAD_INTERVAL_MS - (Date.now() - this.headWrittenAt);
    if (wait <= 0) this.flushHead();
    else this.headTimer = setTimeout(() => this.flushHead(), wait).unref();
  }

  /** Writes the newest head now, if one is waiting. */
  flushHead(): void {
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = undefined;
    const pending = this.headPending;
    this.headPending = undefined;
    if (!pending || !this.head) return;
    this.headWrittenAt = Date.now();
    try {
      this.head.store.advance(pending.key, pending.head);
    } catch {
      // The rows are written and chained; a head left behind only checks less of the tail, and
      // `audit verify` still walks every row. An audit write must not fail over it.
    }
  }

  /** Newest first. */
  query(filter: AuditFilter = {}): AuditRow[] {
    return this.store.query(filter);
  }

  /** How many rows match (limit and offset aside). */
  count(filter: Omit<AuditFilter, 'limit' | 'offset'> = {}): number {
    return this.store.count(filter);
  }

  /** Every row with its chain hashes, in id order, from `since` on (`sophon audit export`). */
  exportRows(since?: number): IterableIterator<AuditExportRow> {
    return this.store.exportRows(since);
  }

  /**
   * `audit verify`: the chain inside sophon.db, then its end against the signed head (checked with the
   * vault key when it can be had; without it the head is "unavailable", not a failure).
   */
  async verify(keys: { state(): Promise<KeyState>; get(): Promise<MasterKey> }): Promise<AuditVerifyReport> {
    if (!this.head) throw new SophonError('internal', 'This audit log was opened without its head.');
    const { verifyAuditTrail } = await import('./audit-verify');
    return verifyAuditTrail({ db: this.db, head: this.head.store, keys });
  }
}

/** String.prototype.toWellFormed (ES2024; Node 20 has it, the project's lib target does not name it yet). */
declare global {
  interface String {
    toWellFormed(): string;
  }
}

function wf(s: string | null | undefined): string | null {
  return s === undefined || s === null ? null : s.toWellFormed();
}
