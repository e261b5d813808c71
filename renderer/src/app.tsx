import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import type { Out } from '../../shared/contract';
import { ConnectionsProvider, hasOperation, loadableOf, useApi, useConnections, type Loadable } from './api';
import { ApproveCall } from './approve-call';
import { ChooseConnection } from './choose-connection';
import { describeError } from './errors';
import { href, useRoute, type Route } from './router';
import { ConnectionsScreen } from './screens/connections';
import { ErrorNote, Spinner } from './ui';

// The first screen is in the main chunk; the others load when first opened, so the browser compiles
// less before the connection list shows.
const AddScreen = lazy(() => import('./screens/add').then((m) => ({ default: m.AddScreen })));
const AgentsScreen = lazy(() => import('./screens/agents').then((m) => ({ default: m.AgentsScreen })));
const AuditScreen = lazy(() => import('./screens/audit').then((m) => ({ default: m.AuditScreen })));
const DetailScreen = lazy(() => import('./screens/detail').then((m) => ({ default: m.DetailScreen })));
const LoginsScreen = lazy(() => import('./screens/logins').then((m) => ({ default: m.LoginsScreen })));
const ModelsScreen = lazy(() => import('./screens/models').then((m) => ({ default: m.ModelsScreen })));
const VaultScreen = lazy(() => import('./screens/vault').then((m) => ({ default: m.VaultScreen })));

function NavLink({ to, current, children, badge }: { to: string; current: boolean; children: string; badge?: number }) {
  return (
    <li>
      <a href={to} className="nav-link" aria-current={current ? 'page' : undefined}>
        <span>{children}</span>
        {badge ? (
          <span className="nav-badge" aria-label={`${badge} need attention`}>
            {badge}
          </span>
        ) : null}
      </a>
    </li>
  );
}

function Sidebar({ route, userId, isAdmin, canImport }: { route: Route; userId: string; isAdmin: boolean; canImport: boolean }) {
  const { state } = useConnections();
  const attention = state.status === 'ready' ? state.value.filter((c) => c.state !== 'active').length : 0;
  const p = route.page;
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="sidebar-inner">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            S
          </span>
          <span className="brand-name">Sophon</span>
        </div>
        <ul className="nav-list" role="list">
          <NavLink to={href.connections} current={p === 'connections' || p === 'connection' || p === 'add'} badge={attention}>
            Connections
          </NavLink>
          <NavLink to={href.models} current={p === 'models'}>
            Models
          </NavLink>
          {canImport && (
            <NavLink to={href.logins} current={p === 'logins'}>
              CLI logins
            </NavLink>
          )}
          <NavLink to={href.agents} current={p === 'agents'}>
            Agents
          </NavLink>
          <NavLink to={href.audit} current={p === 'audit'}>
            Audit
          </NavLink>
          {isAdmin && (
            <NavLink to={href.vault} current={p === 'vault'}>
              Vault
            </NavLink>
          )}
        </ul>
        <p className="whoami">
          Signed in as <strong>{userId}</strong>
          {isAdmin ? ' (admin)' : ''}
        </p>
      </div>
    </nav>
  );
}

function Screen({ route, isAdmin, canImport }: { route: Route; isAdmin: boolean; canImport: boolean }) {
  switch (route.page) {
    case 'connections':
      return <ConnectionsScreen canImport={canImport} />;
    case 'add':
      return <AddScreen serviceId={route.serviceId} isAdmin={isAdmin} />;
    case 'connection':
      return <DetailScreen id={route.id} />;
    case 'audit':
      return <AuditScreen key={route.agent ?? ''} isAdmin={isAdmin} agent={route.agent} />;
    case 'agents':
      return <AgentsScreen />;
    case 'models':
      return <ModelsScreen />;
    case 'logins':
      return canImport ? <LoginsScreen /> : <ConnectionsScreen canImport={false} />;
    case 'vault':
      return isAdmin ? <VaultScreen /> : <ErrorNote error={{ code: 'forbidden', title: 'Only an admin can see the vault’s status.', detail: '' }} />;
  }
}

export function App() {
  const { api, initial } = useApi();
  const route = useRoute();
  const [session, setSession] = useState<Loadable<Out<'session.info'>>>(() => loadableOf(initial.session));
  const sessionShown = useRef(session.status !== 'loading');
  useEffect(() => {
    if (sessionShown.current) return;
    initial.session.promise.then(
      (value) => setSession({ status: 'ready', value }),
      (err: unknown) => setSession({ status: 'error', error: describeError(err) }),
    );
  }, [initial]);
  const canImport = hasOperation(api, 'imports.scan') && hasOperation(api, 'imports.run');
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  // On navigation, move focus to the new page's heading so screen readers announce it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    requestAnimationFrame(() => mainRef.current?.querySelector<HTMLElement>('h1')?.focus());
  }, [route]);

  if (session.status === 'loading') {
    return (
      <main className="center">
        <Spinner label="Connecting to Sophon…" />
      </main>
    );
  }
  if (session.status === 'error') {
    return (
      <main className="center">
        <div className="card narrow">
          <h1>Sophon</h1>
          <ErrorNote error={session.error} />
          {session.error.code === 'unauthorized' && (
            <p>
              For your safety the dashboard’s access token is kept only in this tab’s memory. Run <code>sophon dashboard --open</code> again to open a signed-in tab.
            </p>
          )}
        </div>
      </main>
    );
  }
  const { userId, isAdmin } = session.value;
  return (
    <ConnectionsProvider>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <div className="layout">
        <Sidebar route={route} userId={userId} isAdmin={isAdmin} canImport={canImport} />
        <main id="main" ref={mainRef} className="content" tabIndex={-1}>
          <Suspense fallback={<Spinner label="Loading…" />}>
            <Screen route={route} isAdmin={isAdmin} canImport={canImport} />
          </Suspense>
        </main>
        <ChooseConnection />
        <ApproveCall />
      </div>
    </ConnectionsProvider>
  );
}
