/**
 * Routes live in the URL fragment (#/connections, #/connection/<id>, …) so links are plain <a href>,
 * keyboard-navigable and work in Electron (app://) as in the browser. (The dashboard's one-time #token=… is
 * removed before the router reads the fragment.)
 */
export type Route =
  | { page: 'connections' }
  | { page: 'add'; serviceId: string | null }
  | { page: 'connection'; id: string }
  | { page: 'audit' }
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
  models: '#/models',
  logins: '#/logins',
  vault: '#/vault',
};

