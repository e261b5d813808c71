import type { AuditRow } from '../../../shared/connections';
import type { Statement } from 'better-sqlite3';
import type { Database } from '../db/database';

/** What was done with a credential. Each is one row; no row ever carries a secret. */
export const AUDIT_ACTIONS = ['add', 'test', 'use', 'refresh', 'import', 'remove', 'revoke', 'rename', 'reauth', 'update', 'reveal', 'reconcile', 'broker_mint', 'broker_use', 'mcp_call', 'mcp_approval', 'backup', 'restore'] as const;
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

/** Rows per multi-row INSERT of recordMany (9 values each, far below SQLite's limit on bound values). */
const CHUNK = 64;
const COLUMNS = 'INSERT INTO audit (at, user_id, connection_id, service_id, skill, tool, action, outcome, detail) VALUES ';

export class AuditLog {
  private readonly insert;
  private insertChunk: Statement | undefined;
  private readonly insertMany;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(`${COLUMNS}(@at, @userId, @connectionId, @serviceId, @skill, @tool, @action, @outcome, @detail)`);
    // One statement per CHUNK rows: a busy broker's batch costs a few statement runs, not one per row.
    this.insertMany = db.transaction((batch: readonly AuditEntry[]) => {
      let i = 0;
      if (batch.length >= CHUNK) {
        this.insertChunk ??= db.prepare(COLUMNS + Array.from({ length: CHUNK }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '));
        const values: (string | number | null)[] = [];
        for (; i + CHUNK <= batch.length; i += CHUNK) {
          values.length = 0;
          for (let j = i; j < i + CHUNK; j++) pushValues(values, batch[j]!);
          this.insertChunk.run(values);
        }
      }
      for (; i < batch.length; i++) this.insert.run(toParams(batch[i]!));
    });
  }

  record(entry: AuditEntry): void {
    this.insert.run(toParams(entry));
  }

  /** Many rows in one transaction: how a busy broker keeps every use without a write per request. */
  recordMany(entries: readonly AuditEntry[]): void {
    this.insertMany(entries);
  }

  /**
   * recordMany, but false at once, writing nothing, when another connection holds the write lock (another
   * broker worker writing its batch): waiting for it (busy_timeout) would stall every call of this process.
   */
  tryRecordMany(entries: readonly AuditEntry[]): boolean {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.insertMany.immediate(entries);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw err;
    } finally {
      this.db.pragma(`busy_timeout = ${Math.trunc(timeout)}`);
    }
  }

  /** Newest first. */
  query(filter: AuditFilter = {}): AuditRow[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    const add = (sql: string, key: string, value: string | number | undefined) => {
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
    params.limit = filter.limit ?? 100;
    params.offset = filter.offset ?? 0;
    const rows = this.db
      .prepare(`SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all(params) as AuditDbRow[];
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
}

function pushValues(out: (string | number | null)[], e: AuditEntry): void {
  out.push(e.at ?? Date.now(), e.userId, e.connectionId ?? null, e.serviceId ?? null, e.skill ?? null, e.tool ?? null, e.action, e.outcome, e.detail ?? null);
}

function toParams(e: AuditEntry) {
  return {
    at: e.at ?? Date.now(),
    userId: e.userId,
    connectionId: e.connectionId ?? null,
    serviceId: e.serviceId ?? null,
    skill: e.skill ?? null,
    tool: e.tool ?? null,
    action: e.action,
    outcome: e.outcome,
    detail: e.detail ?? null,
  };
}
