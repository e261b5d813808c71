import type { AuditRow } from '../../../shared/connections';
import type { Statement } from 'better-sqlite3';
import type { Database } from '../db/database';

/** Which rows: every field optional (all users, all time), newest first, paged. */
export interface AuditFilter {
  userId?: string;
  connectionId?: string;
  skill?: string;
  action?: string;
  since?: number;
  until?: number;
  limit?: number;
  offset?: number;
}

/** One stored row with its chain hashes, as `audit export` writes it (`at` is the integer the hash covers). */
export type AuditExportRow = [id: number, at: number, userId: string, connectionId: string | null, serviceId: string | null, skill: string | null, tool: string | null, action: string, outcome: string, detail: string | null, prevHash: string | null, hash: string | null];

interface AuditDbRow {
  id: number;
  at: number;
  user_id: string;
  connection_id: string | null;
  service_id: string | null;
  skill: string | null;
  tool: string | null;
  action: string;
  outcome: string;
  detail: string | null;
}

/** Rows per multi-row INSERT (12 values each, far below SQLite's limit on bound values). */
export const AUDIT_CHUNK = 64;
const COLUMNS = 'INSERT INTO audit (id, at, user_id, connection_id, service_id, skill, tool, action, outcome, detail, prev_hash, hash) VALUES ';
const ONE_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** How long a committed batch id is kept: a batch is sent again within seconds of its first send, or never. */
const BATCH_ID_KEPT_MS = 10 * 60_000;

/** The audit table's SQL: appending rows, reading them for people and for export. The chain's rules are in AuditLog. */
export class AuditStore {
  private readonly insertOne: Statement;
  private chunk: Statement | undefined;
  private batchStatements: { claim: Statement; prune: Statement } | undefined;

  constructor(private readonly db: Database) {
    this.insertOne = db.prepare(COLUMNS + ONE_ROW);
  }

  /** Inserts one row (12 values, in the INSERT's column order). */
  insertRow(values: readonly (string | number | null)[]): void {
    this.insertOne.run(values);
  }

  /** Inserts AUDIT_CHUNK rows at once: a busy broker's batch costs a few statement runs, not one per row. */
  insertChunk(values: readonly (string | number | null)[]): void {
    this.chunk ??= this.db.prepare(COLUMNS + Array.from({ length: AUDIT_CHUNK }, () => ONE_ROW).join(', '));
    this.chunk.run(values);
  }

  /**
   * Inside the transaction that appends a batch: records its id, false if it was committed before (then
   * its rows are in the trail already). Ids older than BATCH_ID_KEPT_MS go in the same statement run.
   */
  claimBatch(id: string, at: number): boolean {
    const s = (this.batchStatements ??= {
      claim: this.db.prepare('INSERT INTO audit_batches (id, committed_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
      prune: this.db.prepare('DELETE FROM audit_batches WHERE committed_at < ?'),
    });
    if (s.claim.run(id, at).changes === 0) return false;
    s.prune.run(at - BATCH_ID_KEPT_MS);
    return true;
  }

  /** `fn` with busy_timeout 0 (SQLITE_BUSY at once instead of waiting), then the timeout as it was. */
  withoutBusyWait<T>(fn: () => T): T {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      return fn();
    } finally {
      this.db.pragma(`busy_timeout = ${Math.trunc(timeout)}`);
    }
  }

  /** Newest first. */
  query(filter: AuditFilter = {}): AuditRow[] {
    const { where, params } = whereOf(filter);
    params.limit = filter.limit ?? 100;
    params.offset = filter.offset ?? 0;
    const rows = this.db.prepare(`SELECT * FROM audit ${where} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`).all(params) as AuditDbRow[];
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      userId: r.user_id,
      connectionId: r.connection_id,
      serviceId: r.service_id,
      skill: r.skill,
      tool: r.tool,
      action: r.action,
      outcome: r.outcome,
      detail: r.detail,
    }));
  }

  /** How many rows the filter matches (limit and offset aside): the total a paged view shows. */
  count(filter: Omit<AuditFilter, 'limit' | 'offset'> = {}): number {
    const { where, params } = whereOf(filter);
    return this.db.prepare(`SELECT count(*) AS n FROM audit ${where}`).pluck().get(params) as number;
  }

  /** Every row (all users: the chain links them all) in id order, from `since` on; read lazily. */
  exportRows(since?: number): IterableIterator<AuditExportRow> {
    const stmt = this.db.prepare(
      `SELECT id, at, user_id, connection_id, service_id, skill, tool, action, outcome, detail, prev_hash, hash FROM audit ${since === undefined ? '' : 'WHERE at >= ?'} ORDER BY id`,
    );
    return (since === undefined ? stmt.raw().iterate() : stmt.raw().iterate(since)) as IterableIterator<AuditExportRow>;
  }
}

function whereOf(filter: Omit<AuditFilter, 'limit' | 'offset'>): { where: string; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const add = (sql: string, key: keyof AuditFilter, value: string | number | undefined) => {
    if (value === undefined) return;
    where.push(sql);
    params[key] = value;
  };
  add('user_id = @userId', 'userId', filter.userId);
  add('connection_id = @connectionId', 'connectionId', filter.connectionId);
  add('skill = @skill', 'skill', filter.skill);
  add('action = @action', 'action', filter.action);
  add('at >= @since', 'since', filter.since);
  add('at <= @until', 'until', filter.until);
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}
