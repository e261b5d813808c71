import type { AuditRow } from '../../../shared/connections';
import type { Database } from '../db/database';

/** What was done with a credential. Each is one row; no row ever carries a secret. */
export const AUDIT_ACTIONS = ['add', 'test', 'use', 'refresh', 'import', 'remove', 'revoke', 'rename', 'reauth', 'reveal', 'reconcile', 'broker_mint', 'broker_use'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = 'ok' | 'failed' | 'denied';

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

export class AuditLog {
  private readonly insert;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO audit (at, user_id, connection_id, service_id, skill, tool, action, outcome, detail)
       VALUES (@at, @userId, @connectionId, @serviceId, @skill, @tool, @action, @outcome, @detail)`,
    );
  }

  record(entry: AuditEntry): void {
    this.insert.run(toParams(entry));
  }

  /** Many rows in one transaction: how a busy broker keeps every use without a write per request. */
  recordMany(entries: readonly AuditEntry[]): void {
    this.db.transaction((batch: readonly AuditEntry[]) => {
      for (const e of batch) this.insert.run(toParams(e));
    })(entries);
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
