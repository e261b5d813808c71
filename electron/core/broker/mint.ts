import type { ServiceDefinition } from '../catalog/schema';
import { resolveAllowedHosts } from '../catalog/templates';
import type { ConnectionRecord } from '../connections/connection-store';
import type { AuditLog } from '../audit/audit-log';
import { SophonError } from '../errors';
import type { CallLimits } from './call-limits';
import type { BrokerBinding, BrokerTokens } from './token-store';

export interface MintRequest {
  userId: string;
  skill: string;
  tool: string;
  /**
   * Each connection with the service it belongs to, the scopes the call needs of it, and, for a token
   * minted for a skill's manifest, what that manifest lets it call (every grant has them, or none).
   */
  grants: { record: ConnectionRecord; service: ServiceDefinition; scopes: string[]; calls?: CallLimits }[];
  ttlSeconds: number;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * Mints one broker token for one skill's tool call, bound to its connections, their scopes and
 * their services' hosts. A scope the connection was not granted refuses the mint. Audited.
 */
export function mintBrokerToken(tokens: BrokerTokens, audit: Pick<AuditLog, 'record'>, req: MintRequest): { token: string; binding: BrokerBinding } {
  for (const [what, v] of [['skill', req.skill], ['tool', req.tool]] as const) {
    if (!NAME.test(v)) throw new SophonError('invalid_input', `The ${what} name must be 1-64 letters, digits, ".", "_" or "-".`);
  }
  const deny = (message: string, record?: ConnectionRecord): never => {
    audit.record({ userId: req.userId, action: 'broker_mint', outcome: 'denied', connectionId: record?.id ?? null, serviceId: record?.serviceId ?? null, skill: req.skill, tool: req.tool, detail: message });
    throw new SophonError('auth_failed', message);
  };
  if (req.grants.length === 0) deny('A broker token needs at least one connection.');
  const allowedHosts: Record<string, string[]> = {};
  const scopes: Record<string, string[]> = {};
  const calls: Record<string, CallLimits> | null = req.grants.some((g) => g.calls) ? {} : null;
  for (const g of req.grants) {
    if (calls && !g.calls) throw new SophonError('internal', 'A token minted for a manifest needs call limits for every connection.');
    // Sophon knows the scopes only of an OAuth grant it made; a token (PAT, imported CLI login) has what its issuer gave it.
    const missing = scopesKnown(g.service) ? g.scopes.filter((s) => !g.record.scopes.includes(s)) : [];
    if (missing.length) {
      deny(`${g.record.id} was not granted the scope(s) ${missing.join(' ')}: \`sophon connect reauth ${g.record.id} --scopes ${[...new Set([...g.record.scopes, ...g.scopes])].join(' ')}\`.`, g.record);
    }
    scopes[g.record.id] = scopesKnown(g.service) ? [...g.scopes] : [];
    allowedHosts[g.record.id] = resolveAllowedHosts(g.service, g.record.fields);
    if (calls && g.calls) calls[g.record.id] = { service: g.calls.service, methods: g.calls.methods ? [...g.calls.methods] : null, paths: g.calls.paths ? [...g.calls.paths] : null };
  }
  const minted = tokens.mint({
    userId: req.userId,
    skill: req.skill,
    tool: req.tool,
    connectionIds: req.grants.map((g) => g.record.id),
    scopes,
    allowedHosts,
    calls,
    ttlSeconds: req.ttlSeconds,
  });
  for (const g of req.grants) {
    audit.record({
      userId: req.userId,
      action: 'broker_mint',
      outcome: 'ok',
      connectionId: g.record.id,
      serviceId: g.record.serviceId,
      skill: req.skill,
      tool: req.tool,
      detail: `token ${minted.binding.id}, expires ${new Date(minted.binding.expiresAt).toISOString()}, hosts ${allowedHosts[g.record.id]!.join(' ')}${describeCalls(calls?.[g.record.id])}`.slice(0, 500),
    });
  }
  return minted;
}

/** Whether Sophon knows the scopes a connection of this service was granted (an OAuth grant it made). */
export function scopesKnown(service: Pick<ServiceDefinition, 'auth'>): boolean {
  return service.auth.method === 'oauth2';
}

function describeCalls(c: CallLimits | undefined): string {
  if (!c) return '';
  return `, as ${c.service}: methods ${c.methods?.join(' ') ?? 'any'}, paths ${c.paths?.join(' ') ?? 'any'}`;
}
