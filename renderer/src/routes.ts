/**
 * Routes live in the URL fragment (#/connections, #/connection/<id>, …) so links are plain <a href>,
 * keyboard-navigable and work in Electron (app://) as in the browser. (The dashboard's one-time #token=… is
 * removed before the router reads the fragment.)
 */
export type Route =
  | { page: 'connections' }
  | { page: 'add'; serviceId: string | null }
  | { page: 'connection'; id: string }
  | { page: 'audit'; agent?: string }
  | { page: 'agents' }
  | { page: 'models' }
  | { page: 'logins' }
  | { page: 'vault' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => decodeURIComponent(p));
  switch (parts[0]) {
    case 'add':
      return { page: 'add', serviceId: parts[1] || null };
    case 'connection':
      return parts[1] ? { page: 'connection', id: parts[1] } : { page: 'connections' };
    case 'audit':
      // #/audit/agent/<id>: the trail of one MCP agent (the Agents page links there).
      return parts[1] === 'agent' && parts[2] ? { page: 'audit', agent: parts[2] } : { page: 'audit' };
    case 'agents':
    case 'models':
    case 'logins':
    case 'vault':
      return { page: parts[0] };
    default:
      return { page: 'connections' };
  }
}

export const href = {
  connections: '#/connections',
  add: (serviceId?: string) => (serviceId ? `#/add/${encodeURIComponent(serviceId)}` : '#/add'),
  connection: (id: string) => `#/connection/${encodeURIComponent(id)}`,
  audit: '#/audit',
  auditOfAgent: (agent: string) => `#/audit/agent/${encodeURIComponent(agent)}`,
  agents: '#/agents',
  models: '#/models',
  logins: '#/logins',
  vault: '#/vault',
};

