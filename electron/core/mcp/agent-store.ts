import { z } from 'zod';
import type { Database } from '../db/database';
import { AGENT_WRITE_POLICIES } from '../../../shared/contract';
import { SophonError } from '../errors';

/** The MCP agents' bearer tokens for `sophon mcp --http`, in the config folder (kept apart from the REST API's). */
export const MCP_TOKEN_FILE = 'mcp-tokens.json';

export const WRITE_POLICIES = AGENT_WRITE_POLICIES;
export type WritePolicy = (typeof WRITE_POLICIES)[number];

/** What one MCP client (an agent) may do. `connections: null` means every connection of the user. */
export interface AgentPolicy {
  agent: string;
  clientName: string | null;
  connections: string[] | null;
  writes: WritePolicy;
  createdAt: number;
  lastSeenAt: number | null;
}

interface Row {
  agent: string;
  client_name: string | null;
  connections: string | null;
  writes: WritePolicy;
  created_at: number;
  last_seen_at: number | null;
}

const AGENT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const Connections = z.array(z.string()).nullable();

/**
 * An agent's id from the name its MCP client gives in `initialize` ("Claude Code" → "claude-code"):
 * the id is what audit rows and broker tokens carry, so it must fit their name rule.
 */
export function agentIdOf(clientName: string | undefined): string {
  const id = (clientName ?? '')
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
  return id || 'mcp-client';
}

export function assertAgentId(agent: string): void {
  if (!AGENT_ID.test(agent)) throw new SophonError('invalid_input', `"${agent.slice(0, 80)}" is not an agent id: 1-64 lowercase letters, digits, ".", "_" or "-" (see \`sophon mcp agents\`).`);
}

/** The person's policy per MCP agent, in sophon.db (table mcp_agents). A new agent reads anything and asks before writes. */
export class AgentPolicies {
  constructor(
    private readonly db: Database,
    private readonly userId: string,
    private readonly now: () => number = Date.now,
  ) {}

  list(): AgentPolicy[] {
    const rows = this.db.prepare('SELECT * FROM mcp_agents WHERE user_id = ? ORDER BY agent').all(this.userId) as Row[];
    return rows.map(fromRow);
  }

  get(agent: string): AgentPolicy | null {
    const row = this.db.prepare('SELECT * FROM mcp_agents WHERE user_id = ? AND agent = ?').get(this.userId, agent) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** The agent's policy, created with the defaults the first time it is seen; records when it was last seen. */
  seen(agent: string, clientName: string | null): AgentPolicy {
    assertAgentId(agent);
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO mcp_agents (user_id, agent, client_name, connections, writes, created_at, last_seen_at) VALUES (?, ?, ?, NULL, 'ask', ?, ?)
         ON CONFLICT (user_id, agent) DO UPDATE SET last_seen_at = excluded.last_seen_at, client_name = COALESCE(excluded.client_name, client_name)`,
      )
      .run(this.userId, agent, clientName?.slice(0, 200) ?? null, now, now);
    return this.get(agent)!;
  }

  /** Sets what is given (creating the agent if the person names it before it ever connected). */
  set(agent: string, change: { connections?: string[] | null; writes?: WritePolicy }): AgentPolicy {
    assertAgentId(agent);
    const current = this.get(agent);
    const connections = change.connections !== undefined ? change.connections : (current?.connections ?? null);
    const writes = change.writes ?? current?.writes ?? 'ask';
    this.db
      .prepare(
        `INSERT INTO mcp_agents (user_id, agent, client_name, connections, writes, created_at, last_seen_at) VALUES (?, ?, NULL, ?, ?, ?, NULL)
         ON CONFLICT (user_id, agent) DO UPDATE SET connections = excluded.connections, writes = excluded.writes`,
      )
      .run(this.userId, agent, connections === null ? null : JSON.stringify(connections), writes, this.now());
    return this.get(agent)!;
  }
}

function fromRow(r: Row): AgentPolicy {
  return {
    agent: r.agent,
    clientName: r.client_name,
    connections: r.connections === null ? null : Connections.parse(JSON.parse(r.connections)),
    writes: r.writes,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
  };
}
