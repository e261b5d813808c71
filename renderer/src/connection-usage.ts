// "Which skills and agents used this connection, and when": the audit rows of one connection summed up
// per skill or MCP agent, without React (unit-tested).
import type { AuditRow } from '../../shared/connections';

export interface Usage {
  /** The skill's name, or the MCP agent's id. */
  who: string;
  kind: 'skill' | 'agent';
  calls: number;
  failed: number;
  lastAt: string;
  tools: string[];
}

/** Rows newest first (as audit.query returns them) → one line per skill or agent, most recently active first. */
export function usageBySkill(rows: readonly AuditRow[]): Usage[] {
  const m = new Map<string, Usage>();
  for (const r of rows) {
    if (!r.skill) continue;
    // MCP agents are audited with their id in the skill column and an action of mcp_call / mcp_approval.
    const kind = r.action.startsWith('mcp_') ? 'agent' : 'skill';
    const key = `${kind}:${r.skill}`;
    let u = m.get(key);
    if (!u) m.set(key, (u = { who: r.skill, kind, calls: 0, failed: 0, lastAt: r.at, tools: [] }));
    u.calls++;
    if (r.outcome !== 'ok') u.failed++;
    if (Date.parse(r.at) > Date.parse(u.lastAt)) u.lastAt = r.at;
    if (r.tool && !u.tools.includes(r.tool)) u.tools.push(r.tool);
  }
  return [...m.values()].sort((a, b) => Date.parse(b.lastAt) - Date.parse(a.lastAt));
}
