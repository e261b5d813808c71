import type { Connection } from '../../shared/connections';
import type { Route } from './routes';

const SUFFIX = ' — Sophon';

/** The window title of a page: what it shows, then the app ("Audit — Sophon"), as a tab strip or window switcher lists it. */
export function pageTitle(route: Route, connections: readonly Connection[] | null): string {
  switch (route.page) {
    case 'connections':
      return `Connections${SUFFIX}`;
    case 'add':
      return `Add connection${SUFFIX}`;
    case 'connection': {
      const c = connections?.find((x) => x.id === route.id);
      return `${c ? c.label : 'Connection'}${SUFFIX}`;
    }
    case 'audit':
      return `Audit${SUFFIX}`;
    case 'models':
      return `Models${SUFFIX}`;
    case 'logins':
      return `CLI logins${SUFFIX}`;
    case 'vault':
      return `Vault${SUFFIX}`;
    case 'agents':
      return `Agents${SUFFIX}`;
    case 'settings':
      return `Settings${SUFFIX}`;
    case 'not-found':
      return `Not found${SUFFIX}`;
    default:
      // A page added later without a title here still names the app.
      return 'Sophon';
  }
}
