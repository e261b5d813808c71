/**
 * Schema history of sophon.db. Append only: a shipped migration is never edited, because databases
 * out there already ran it. Migration N brings user_version from N-1 to N.
 */
import { chainExistingRows } from '../audit/chain-store';
import type { Database } from './database';

/** SQL, or a step in code for what SQL cannot do (hashing); each runs inside the migration's transaction. */
export type Migration = string | ((db: Database) => void);

export const MIGRATIONS: readonly Migration[] = [
  // 1: connection metadata (no secret: those live in the vault) and the audit trail.
  `
  CREATE TABLE connections (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    label         TEXT NOT NULL,
    auth_method   TEXT NOT NULL,
    scopes        TEXT NOT NULL DEFAULT '[]',
    fields        TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'needs_reauth', 'error')),
    state_reason  TEXT,
    account       TEXT,
    secret_hint   TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    expires_at    INTEGER,
    last_test_at      INTEGER,
    last_test_status  TEXT,
    last_test_message TEXT
  );
  CREATE UNIQUE INDEX connections_label ON connections (user_id, service_id, label COLLATE NOCASE);
  CREATE INDEX connections_user ON connections (user_id, service_id);

  CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    connection_id TEXT,
    service_id    TEXT,
    skill         TEXT,
    tool          TEXT,
    action        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT
  );
  CREATE INDEX audit_at ON audit (at);
  CREATE INDEX audit_connection ON audit (connection_id, at);
  CREATE INDEX audit_user ON audit (user_id, at);
  CREATE INDEX audit_skill ON audit (skill, at);
  `,
  // 2: broker tokens minted for skills. Only a SHA-256 of each token is kept (never the token), with what
  // it is bound to, so a token minted by `sophon broker mint` is honoured by a `sophon broker serve`.
  `
  CREATE TABLE broker_tokens (
    token_hash     TEXT PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    user_id        TEXT NOT NULL,
    skill          TEXT NOT NULL,
    tool           TEXT NOT NULL,
    connection_ids TEXT NOT NULL,
    scopes         TEXT NOT NULL DEFAULT '[]',
    allowed_hosts  TEXT NOT NULL DEFAULT '[]',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
  );
  CREATE INDEX broker_tokens_expiry ON broker_tokens (expires_at);
  `,
  // 3: what a skill's manifest lets each connection of a token call (methods, path patterns, the service
  // it was asked for); NULL for a token minted without a manifest, which keeps its earlier meaning.
  `
  ALTER TABLE broker_tokens ADD COLUMN calls TEXT;
  `,
  // 4: each credential's generation as last written to (or found in) its vault file, so an older copy
  // put back is noticed; and a mark on a connection whose removal has begun, which the next open finishes.
  `
  ALTER TABLE connections ADD COLUMN vault_generation INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE connections ADD COLUMN removing_at INTEGER;
  `,
  // 5: MCP agents (one row per MCP client name) and the policy the person set for each: the connections
  // it may use (JSON array of ids; NULL = every connection) and whether writes are allowed, asked or denied.
  `
  CREATE TABLE mcp_agents (
    user_id      TEXT NOT NULL,
    agent        TEXT NOT NULL,
    client_name  TEXT,
    connections  TEXT,
    writes       TEXT NOT NULL DEFAULT 'ask' CHECK (writes IN ('allow', 'ask', 'deny')),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER,
    PRIMARY KEY (user_id, agent)
  );
  `,
  // 6: the audit trail as a hash chain (docs/audit.md): each row keeps the hash of the row before it and
  // its own. Rows already there are chained as they are, in id order.
  (db: Database): void => {
    db.exec('ALTER TABLE audit ADD COLUMN prev_hash TEXT; ALTER TABLE audit ADD COLUMN hash TEXT;');
    chainExistingRows(db);
  },
  // 7: a connection may be `untested` (stored, but its test could not reach the service). SQLite cannot
  // change a CHECK constraint in place: the table is rebuilt with the same columns and indexes, rows as they are.
  `
  CREATE TABLE connections_v7 (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    label         TEXT NOT NULL,
    auth_method   TEXT NOT NULL,
    scopes        TEXT NOT NULL DEFAULT '[]',
    fields        TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'untested', 'needs_reauth', 'error')),
    state_reason  TEXT,
    account       TEXT,
    secret_hint   TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    expires_at    INTEGER,
    last_test_at      INTEGER,
    last_test_status  TEXT,
    last_test_message TEXT,
    vault_generation INTEGER NOT NULL DEFAULT 0,
    removing_at   INTEGER
  );
  INSERT INTO connections_v7 (id, user_id, service_id, label, auth_method, scopes, fields, state, state_reason, account, secret_hint, created_at, updated_at, last_used_at, expires_at, last_test_at, last_test_status, last_test_message, vault_generation, removing_at)
    SELECT id, user_id, service_id, label, auth_method, scopes, fields, state, state_reason, account, secret_hint, created_at, updated_at, last_used_at, expires_at, last_test_at, last_test_status, last_test_message, vault_generation, removing_at FROM connections;
  DROP TABLE connections;
  ALTER TABLE connections_v7 RENAME TO connections;
  CREATE UNIQUE INDEX connections_label ON connections (user_id, service_id, label COLLATE NOCASE);
  CREATE INDEX connections_user ON connections (user_id, service_id);
  `,
  // 8: the broker's audit batches already committed (by id), written in the same transaction as their rows: a
  // batch sent again after its writer died before acknowledging it is skipped, not appended twice. Kept
  // 10 minutes (a batch is sent again within seconds); not part of the hash chain.
  `
  CREATE TABLE audit_batches (
    id           TEXT PRIMARY KEY,
    committed_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX audit_batches_committed ON audit_batches (committed_at);
  `,
];
