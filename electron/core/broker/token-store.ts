import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/database';
import type { CallLimits } from './call-limits';

/** What a broker token lets its bearer do: one skill's tool, through these connections, these scopes, these hosts. */
export interface BrokerBinding {
  /** Short public id of the token (for the audit and revocation); not the token. */
  id: string;
  userId: string;
  skill: string;
  tool: string;
  connectionIds: string[];
  /** The scopes each connection must (still) have, per connection id. */
  scopes: Record<string, string[]>;
  /** `host[:port]` the credential may go to, per connection id. */
  allowedHosts: Record<string, string[]>;
  /** What the skill's manifest lets each connection call, per connection id; null when minted without a manifest. */
  calls: Record<string, CallLimits> | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export type TokenCheck =
  | { ok: true; binding: BrokerBinding }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked'; binding?: BrokerBinding };

const PREFIX = 'sbt_';
/** A token as the proxy accepts it: the prefix and 43 base64url characters (256 random bits). */
export const BROKER_TOKEN_RE = /^sbt_[A-Za-z0-9_-]{43}$/;

interface Row {
  token_hash: string;
  id: string;
  user_id: string;
  skill: string;
  tool: string;
  connection_ids: string;
  scopes: string;
  allowed_hosts: string;
  calls: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

const StringList = z.array(z.string());
const HostMap = z.record(z.string(), z.array(z.string()));
const CallsMap = z.record(z.string(), z.strictObject({ service: z.string(), methods: z.array(z.string()).nullable(), paths: z.array(z.string()).nullable() }));

export function hashBrokerToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Broker tokens: random and opaque, short-lived, bound to a user, skill, tool, connections, scopes and
 * hosts. sophon.db keeps only a SHA-256 of each (so a token minted by one process is honoured by the
 * broker in another, and a copy of the database gives no usable token).
 */
export class BrokerTokens {
  /** Bumped by every revocation in this process, so a broker's memory of token checks is dropped at once. */
  generation = 0;
  private readonly insert;
  private readonly byHash;
  private readonly revokeStmt;
  private readonly revokeRunStmt;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare(
      `INSERT INTO broker_tokens (token_hash, id, user_id, skill, tool, connection_ids, scopes, allowed_hosts, calls, created_at, expires_at)
       VALUES (@hash, @id, @userId, @skill, @tool, @connectionIds, @scopes, @allowedHosts, @calls, @createdAt, @expiresAt)`,
    );
    this.byHash = db.prepare('SELECT * FROM broker_tokens WHERE token_hash = ?');
    this.revokeStmt = db.prepare('UPDATE broker_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL');
    this.revokeRunStmt = db.prepare('UPDATE broker_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL');
  }

  /** Mints a token; the plaintext is returned once and never stored. Rows expired for a day are pruned. */
  mint(input: Omit<BrokerBinding, 'id' | 'createdAt' | 'expiresAt' | 'revokedAt' | 'calls'> & { calls?: BrokerBinding['calls']; ttlSeconds: number }): { token: string; binding: BrokerBinding } {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const binding: BrokerBinding = {
      id: randomBytes(6).toString('hex'),
      userId: input.userId,
      skill: input.skill,
      tool: input.tool,
      connectionIds: [...input.connectionIds],
      scopes: input.scopes,
      allowedHosts: input.allowedHosts,
      calls: input.calls ?? null,
      createdAt,
      expiresAt: createdAt + input.ttlSeconds * 1000,
      revokedAt: null,
    };
    this.db.prepare('DELETE FROM broker_tokens WHERE expires_at < ?').run(createdAt - 86_400_000);
    this.insert.run({
      hash: hashBrokerToken(token),
      id: binding.id,
      userId: binding.userId,
      skill: binding.skill,
      tool: binding.tool,
      connectionIds: JSON.stringify(binding.connectionIds),
      scopes: JSON.stringify(binding.scopes),
      allowedHosts: JSON.stringify(binding.allowedHosts),
      calls: binding.calls === null ? null : JSON.stringify(binding.calls),
      createdAt,
      expiresAt: binding.expiresAt,
    });
    return { token, binding };
  }

  check(token: string): TokenCheck {
    if (!BROKER_TOKEN_RE.test(token)) return { ok: false, reason: 'unknown' };
    const row = this.byHash.get(hashBrokerToken(token)) as Row | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    const binding = toBinding(row);
    if (binding.revokedAt !== null) return { ok: false, reason: 'revoked', binding };
    if (this.now() >= binding.expiresAt) return { ok: false, reason: 'expired', binding };
    return { ok: true, binding };
  }

  /** Revokes by public id (for a person or an app); the binding of the live token revoked, else null. */
  revoke(userId: string, id: string): BrokerBinding | null {
    const row = this.db.prepare('SELECT * FROM broker_tokens WHERE id = ? AND user_id = ? AND revoked_at IS NULL').get(id, userId) as Row | undefined;
    if (!row || this.revokeStmt.run(this.now(), id, userId).changes === 0) return null;
    this.generation++;
    return { ...toBinding(row), revokedAt: this.now() };
  }

  /** Revokes by the token itself (a runner ending its skill's run). */
  revokeToken(token: string): void {
    this.revokeRunStmt.run(this.now(), hashBrokerToken(token));
    this.generation++;
  }
}

function toBinding(r: Row): BrokerBinding {
  return {
    id: r.id,
    userId: r.user_id,
    skill: r.skill,
    tool: r.tool,
    connectionIds: StringList.parse(JSON.parse(r.connection_ids)),
    scopes: HostMap.parse(JSON.parse(r.scopes)),
    allowedHosts: HostMap.parse(JSON.parse(r.allowed_hosts)),
    calls: r.calls === null ? null : CallsMap.parse(JSON.parse(r.calls)),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}
