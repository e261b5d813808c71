import type { ConnectionState } from '../../../shared/connections';
import type { Database } from '../db/database';
import type { TestOutcome } from './test-outcome';

export type StoredState = ConnectionState | 'pending';

/** A connection's metadata row. Secrets are never here: they live in the vault. */
export interface ConnectionRecord {
  id: string;
  userId: string;
  serviceId: string;
  label: string;
  authMethod: string;
  scopes: string[];
  fields: Record<string, string>;
  state: StoredState;
  stateReason: string | null;
  account: string | null;
  secretHint: string | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  lastTestAt: number | null;
  lastTestStatus: string | null;
  lastTestMessage: string | null;
}

/**
 * The columns a ConnectionRecord is read from, in this order. Rows are read as arrays (better-sqlite3's
 * raw mode): an object per row with 18 named properties costs several times more to build, and to
 * collect, than the record made from it.
 */
const COLUMNS =
  'id, user_id, service_id, label, auth_method, scopes, fields, state, state_reason, account, secret_hint, created_at, updated_at, last_used_at, expires_at, last_test_at, last_test_status, last_test_message';
type Row = [
  id: string,
  userId: string,
  serviceId: string,
  label: string,
  authMethod: string,
  scopes: string,
  fields: string,
  state: StoredState,
  stateReason: string | null,
  account: string | null,
  secretHint: string | null,
  createdAt: number,
  updatedAt: number,
  lastUsedAt: number | null,
  expiresAt: number | null,
  lastTestAt: number | null,
  lastTestStatus: string | null,
  lastTestMessage: string | null,
];

function fromRow(r: Row): ConnectionRecord {
  return {
    id: r[0],
    userId: r[1],
    serviceId: r[2],
    label: r[3],
    authMethod: r[4],
    scopes: JSON.parse(r[5]) as string[],
    fields: JSON.parse(r[6]) as Record<string, string>,
    state: r[7],
    stateReason: r[8],
    account: r[9],
    secretHint: r[10],
    createdAt: r[11],
    updatedAt: r[12],
    lastUsedAt: r[13],
    expiresAt: r[14],
    lastTestAt: r[15],
    lastTestStatus: r[16],
    lastTestMessage: r[17],
  };
}

export type ConnectionIdentity = Pick<ConnectionRecord, 'id' | 'userId' | 'serviceId' | 'state' | 'createdAt'> & {
  vaultGeneration: number;
  /** Set when a removal began (and did not finish, if seen at start-up). */
  removingAt: number | null;
};

export type NewConnection = Pick<ConnectionRecord, 'id' | 'userId' | 'serviceId' | 'label' | 'authMethod' | 'scopes' | 'fields' | 'secretHint' | 'expiresAt'>;

export class ConnectionStore {
  constructor(private readonly db: Database) {}

  /** Step one of adding: the row exists (as pending) before its secret does, so no credential is ever an orphan. */
  insertPending(c: NewConnection & { account?: string | null }, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO connections (id, user_id, service_id, label, auth_method, scopes, fields, state, account, secret_hint, created_at, updated_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
      )
      .run(c.id, c.userId, c.serviceId, c.label, c.authMethod, JSON.stringify(c.scopes), JSON.stringify(c.fields), c.account ?? null, c.secretHint, now, now, c.expiresAt);
  }

  get(id: string): ConnectionRecord | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM connections WHERE id = ?`).raw().get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** All of a user's connections, or everyone's when userId is undefined (admin views); not those being removed. */
  list(userId?: string): ConnectionRecord[] {
    const rows = (
      userId === undefined
        ? this.db.prepare(`SELECT ${COLUMNS} FROM connections WHERE removing_at IS NULL ORDER BY service_id, label`).raw().all()
        : this.db.prepare(`SELECT ${COLUMNS} FROM connections WHERE user_id = ? AND removing_at IS NULL ORDER BY service_id, label`).raw().all(userId)
    ) as Row[];
    return rows.map(fromRow);
  }

  /** Just what reconciling needs, for every user: no JSON columns to parse on each start. */
  listIdentities(): ConnectionIdentity[] {
    const rows = this.db
      .prepare('SELECT id, user_id, service_id, state, created_at, vault_generation, removing_at FROM connections')
      .raw()
      .all() as [string, string, string, StoredState, number, number, number | null][];
    return rows.map((r) => ({ id: r[0], userId: r[1], serviceId: r[2], state: r[3], createdAt: r[4], vaultGeneration: r[5], removingAt: r[6] }));
  }

  /** The generation of the vault file last recorded for this credential; null when it has no row. */
  vaultGeneration(id: string, userId: string): number | null {
    const row = this.db.prepare('SELECT vault_generation FROM connections WHERE id = ? AND user_id = ?').pluck().get(id, userId) as number | undefined;
    return row ?? null;
  }

  /** Never lowers it: two processes writing one credential record their writes in either order. */
  noteVaultGeneration(id: string, userId: string, generation: number): void {
    this.db.prepare('UPDATE connections SET vault_generation = MAX(vault_generation, ?) WHERE id = ? AND user_id = ?').run(generation, id, userId);
  }

  /** Step one of removing: from here on the connection is gone, and the next open finishes the job if this process does not. */
  markRemoving(id: string, now = Date.now()): void {
    this.db.prepare('UPDATE connections SET removing_at = ? WHERE id = ?').run(now, id);
  }

  /** A row rebuilt from its vault file. Never replaces a row: false when one with this id exists. */
  insertRecovered(c: NewConnection & { createdAt: number; account: string | null; vaultGeneration: number }, now = Date.now()): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO connections (id, user_id, service_id, label, auth_method, scopes, fields, state, account, secret_hint, created_at, updated_at, expires_at, vault_generation)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.id, c.userId, c.serviceId, c.label, c.authMethod, JSON.stringify(c.scopes), JSON.stringify(c.fields), c.account, c.secretHint, c.createdAt, now, c.expiresAt, c.vaultGeneration)
        .changes > 0
    );
  }

  /**
   * Per user, a fingerprint of their connection rows (count, sum of update times, last use, states):
   * it moves whenever any process changed one of them, so a door can tell its list is stale.
   */
  fingerprints(): Map<string, string> {
    const rows = this.db
      .prepare(
        `SELECT user_id AS userId, count(*) || ':' || total(updated_at) || ':' || max(coalesce(last_used_at, 0)) || ':' || group_concat(state) AS fp
         FROM connections GROUP BY user_id`,
      )
      .all() as { userId: string; fp: string }[];
    return new Map(rows.map((r) => [r.userId, r.fp]));
  }

  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM connections').pluck().get() as number;
  }

  labelTaken(userId: string, serviceId: string, label: string, exceptId?: string): boolean {
    const row = this.db
      .prepare('SELECT id FROM connections WHERE user_id = ? AND service_id = ? AND label = ? COLLATE NOCASE AND id IS NOT ?')
      .get(userId, serviceId, label, exceptId ?? null);
    return row !== undefined;
  }

  setState(id: string, state: StoredState, reason: string | null, now = Date.now()): void {
    this.db.prepare('UPDATE connections SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?').run(state, reason, now, id);
  }

  rename(id: string, label: string, now = Date.now()): void {
    this.db.prepare('UPDATE connections SET label = ?, updated_at = ? WHERE id = ?').run(label, now, id);
  }

  recordTest(id: string, outcome: TestOutcome | { status: 'untestable'; message: string; account?: string }, now = Date.now()): void {
    this.db
      .prepare(
        `UPDATE connections SET last_test_at = ?, last_test_status = ?, last_test_message = ?, account = COALESCE(?, account), updated_at = ? WHERE id = ?`,
      )
      .run(now, outcome.status, outcome.message, outcome.account ?? null, now, id);
  }

  /** After a (re-)authorization: what was granted now. */
  updateGrant(id: string, grant: { scopes: string[]; expiresAt: number | null; account: string | null }, now = Date.now()): void {
    this.db
      .prepare("UPDATE connections SET scopes = ?, expires_at = ?, account = COALESCE(?, account), state = 'active', state_reason = NULL, updated_at = ? WHERE id = ?")
      .run(JSON.stringify(grant.scopes), grant.expiresAt, grant.account, now, id);
  }

  /** After the secret was replaced: its hint, and the connection works again until a call says otherwise. */
  replacedSecret(id: string, secretHint: string | null, now = Date.now()): void {
    this.db
      .prepare("UPDATE connections SET secret_hint = ?, state = 'active', state_reason = NULL, updated_at = ? WHERE id = ?")
      .run(secretHint, now, id);
  }

  touchUsed(id: string, now = Date.now()): void {
    this.db.prepare('UPDATE connections SET last_used_at = ? WHERE id = ?').run(now, id);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM connections WHERE id = ?').run(id).changes > 0;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
