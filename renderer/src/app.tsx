import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { attentionOf } from '../../shared/attention';
import type { Out } from '../../shared/contract';
import { ConnectionsProvider, hasOperation, loadableOf, useApi, useConnections, type Loadable } from './api';
import { ApproveCall } from './approve-call';
import { BackupStatusProvider, useBackupAttention } from './backup-status';
import { BACKUP_ATTENTION_TEXT } from '../../shared/backup-health';
import { ChooseConnection } from './choose-connection';
import { CommandPalette, PALETTE_MODIFIER, type PalettePage } from './command-palette';
import { describeError } from './errors';
import { pageTitle } from './page-titles';
import { href, useRoute, type Route } from './router';
import { ConnectionsScreen } from './screens/connections';
import { rememberedTheme, showTheme } from './theme';
import { ErrorNote, PageHeader, Spinner } from './ui';

// The first screen is in the main chunk; the others load when first opened, so the browser compiles
// less before the connection list shows.
const AddScreen = lazy(() => import('./screens/add').then((m) => ({ default: m.AddScreen })));
const AgentsScreen = lazy(() => import('./screens/agents').then((m) => ({ default: m.AgentsScreen })));
const AuditScreen = lazy(() => import('./screens/audit').then((m) => ({ default: m.AuditScreen })));
const DetailScreen = lazy(() => import('./screens/detail').then((m) => ({ default: m.DetailScreen })));
const LoginsScreen = lazy(() => import('./screens/logins').then((m) => ({ default: m.LoginsScreen })));
const ModelsScreen = lazy(() => import('./screens/models').then((m) => ({ default: m.ModelsScreen })));
const VaultScreen = lazy(() => import('./screens/vault').then((m) => ({ default: m.VaultScreen })));
const SettingsScreen = lazy(() => import('./screens/settings').then((m) => ({ default: m.SettingsScreen })));

/** The pages of the sidebar, as the command palette offers them too. */
function pagesFor(isAdmin: boolean, canImport: boolean): PalettePage[] {
  return [
    { label: 'Connections', to: href.connections },
    { label: 'Add connection', to: href.add() },
    { label: 'Models', to: href.models },
    ...(canImport ? [{ label: 'CLI logins', to: href.logins }] : []),
    { label: 'Agents', to: href.agents },
    { label: 'Audit', to: href.audit },
    ...(isAdmin ? [{ label: 'Vault', to: href.vault }] : []),
    { label: 'Settings', to: href.settings },
  ];
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** `badge`: how many need attention; `flag`: one thing that does, said in words to screen readers and on hover. */
function NavLink({ to, current, children, badge, flag }: { to: string; current: boolean; children: string; badge?: number; flag?: string | null }) {
  return (
    <li>
      <a href={to} className="nav-link" aria-current={current ? 'page' : undefined}>
        <span>{children}</span>
        {badge ? (
          <span className="nav-badge" aria-label={`${badge} need attention`}>
            {badge}
          </span>
        ) : null}
        {flag ? (
          <span className="nav-badge nav-badge-bad" role="img" aria-label={flag} title={flag} data-testid="nav-flag">
            !
          </span>
        ) : null}
      </a>
    </li>
  );
}

function Sidebar({ route, userId, isAdmin, canImport }: { route: Route; userId: string; isAdmin: boolean; canImport: boolean }) {
  const { state } = useConnections();
  // The same rule as the list's own count: a key about to expire needs the person too.
  const now = Date.now();
  const attention = state.status === 'ready' ? state.value.filter((c) => attentionOf(c, now) !== null).length : 0;
  const backup = useBackupAttention();
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
            <NavLink to={href.vault} current={p === 'vault'} flag={backup && sentence(BACKUP_ATTENTION_TEXT[backup])}>
              Vault
            </NavLink>
          )}
          <NavLink to={href.settings} current={p === 'settings'}>
            Settings
          </NavLink>
        </ul>
        <p className="shortcut-hint">
          <kbd>{PALETTE_MODIFIER}</kbd> <kbd>K</kbd> to go anywhere
        </p>
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
    case 'settings':
      return <SettingsScreen isAdmin={isAdmin} />;
    case 'not-found':
      return <NotFound path={route.path} />;
  }
}

function NotFound({ path }: { path: string }) {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        Sophon has no page at <code>#/{path}</code>. <a href={href.connections}>Go to your connections</a>, or press <kbd>{PALETTE_MODIFIER}</kbd> <kbd>K</kbd> to find a page.
      </p>
    </>
  );
}

/** Each page's own window title, with the connection's label on its detail page. */
function useWindowTitle(route: Route): void {
  const { state } = useConnections();
  const connections = state.status === 'ready' ? state.value : null;
  const title = pageTitle(route, connections);
  useEffect(() => {
    document.title = title;
  }, [title]);
}

/**
 * The look is the install's setting (Sophon.Ui.Theme); a non-admin cannot change that, so the look they
 * picked in this browser (Settings) wins for them.
 */
function useInstallTheme(isAdmin: boolean): void {
  const { api } = useApi();
  useEffect(() => {
    let live = true;
    api['settings.get']({}).then(
      (r) => {
        if (live) showTheme(isAdmin ? r.settings.ui.theme : (rememberedTheme() ?? r.settings.ui.theme));
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, isAdmin]);
}

function Shell({ route, userId, isAdmin, canImport }: { route: Route; userId: string; isAdmin: boolean; canImport: boolean }) {
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  useWindowTitle(route);
  useInstallTheme(isAdmin);
  const pages = useMemo(() => pagesFor(isAdmin, canImport), [isAdmin, canImport]);
  // On navigation, move focus to the new page's heading so screen readers announce it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    requestAnimationFrame(() => mainRef.current?.querySelector<HTMLElement>('h1')?.focus());
  }, [route]);
  return (
    <>
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
        <CommandPalette pages={pages} />
      </div>
    </>
  );
}

/**
 * How to get back in, exactly: a tab keeps its sign-in until it closes, so this shows in a new tab, a
 * tab whose dashboard was restarted, or after a revoked token.
 */
function SignInAdvice() {
  const origin = window.location.protocol.startsWith('http') ? window.location.origin : 'http://127.0.0.1:…';
  return (
    <div className="sign-in-advice">
      <p>This tab has no dashboard sign-in. A tab stays signed in until it is closed; a new tab needs the dashboard’s address again. To get back in:</p>
      <ul>
        <li>
          In the terminal where <code>sophon dashboard</code> runs, open the first line it printed (<code>{origin}/#token=…</code>).
        </li>
        <li>
          Or stop it (Ctrl-C) and run <code>sophon dashboard --open</code>: it opens a signed-in tab.
        </li>
      </ul>
    </div>
  );
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
          {session.error.code === 'unauthorized' && <SignInAdvice />}
        </div>
      </main>
    );
  }
  const { userId, isAdmin } = session.value;
  return (
    <ConnectionsProvider>
      <BackupStatusProvider enabled={isAdmin}>
        <Shell route={route} userId={userId} isAdmin={isAdmin} canImport={canImport} />
      </BackupStatusProvider>
    </ConnectionsProvider>
  );
}
