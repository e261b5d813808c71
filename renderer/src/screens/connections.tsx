import { startTransition, useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { Connection } from '../../../shared/connections';
import { useConnections, useQuery } from '../api';
import { attention, FIRST_ROWS, groupConnections, lastTestText, LIST_TEXT, rowLabel, visibleGroups } from '../connection-view';
import { absolute, relative } from '../format';
import { href } from '../router';
import { takeFlash } from '../flash';
import { ErrorNote, Note, PageHeader, ServiceIcon, Spinner, StateBadge } from '../ui';

function matches(c: Connection, q: string): boolean {
  if (!q) return true;
  const hay = `${c.label} ${c.serviceName} ${c.serviceId} ${c.account ?? ''} ${c.id}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

export function ConnectionRow({ c }: { c: Connection }) {
  return (
    <li className="conn-row" data-connection-id={c.id}>
      <a className="conn-link" href={href.connection(c.id)} aria-label={rowLabel(c)}>
        <ServiceIcon name={c.serviceName} />
        <span className="conn-main">
          <span className="conn-label">{c.label}</span>
          <span className="conn-sub">{c.account ?? c.serviceName}</span>
        </span>
        <span className="conn-badge">
          <StateBadge connection={c} />
          {c.state !== 'active' && c.stateReason && <span className="conn-reason">{c.stateReason}</span>}
        </span>
        <dl className="conn-meta">
          <div>
            <dt>Last used</dt>
            <dd title={absolute(c.lastUsedAt)}>{relative(c.lastUsedAt)}</dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd title={absolute(c.expiresAt)}>{c.expiresAt ? relative(c.expiresAt) : 'no expiry'}</dd>
          </div>
          <div>
            <dt>Last test</dt>
            <dd className={c.lastTest && !c.lastTest.ok ? 'text-bad' : undefined}>{lastTestText(c)}</dd>
          </div>
        </dl>
      </a>
    </li>
  );
}

/** Connections grouped by service, sorted by service name then label. */
export function ConnectionGroups({ connections, emptyText }: { connections: Connection[]; emptyText: string }) {
  const groups = useMemo(() => groupConnections(connections), [connections]);
  const [limit, setLimit] = useState(FIRST_ROWS);
  useEffect(() => {
    if (connections.length <= limit) return;
    const t = setTimeout(() => startTransition(() => setLimit(Number.POSITIVE_INFINITY)), 0);
    return () => clearTimeout(t);
  }, [connections.length, limit]);
  if (groups.length === 0) return <p className="muted empty-inline">{emptyText}</p>;
  return (
    <div className="groups">
      {visibleGroups(groups, limit).map((g) => (
        <section key={g.serviceId} className="group" aria-labelledby={`group-${g.serviceId}`}>
          <h2 id={`group-${g.serviceId}`} className="group-title">
            {g.name} <span className="count">{g.count}</span>
          </h2>
          <ul className="conn-list" role="list">
            {g.items.map((c) => (
              <ConnectionRow key={c.id} c={c} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

export function AttentionSummary({ connections }: { connections: Connection[] }) {
  const { reauth, errors } = attention(connections);
  return (
    <p className="summary" role="status" aria-live="polite" aria-atomic="true">
      {connections.length} connection{connections.length === 1 ? '' : 's'}
      {reauth > 0 && <span className="summary-reauth"> · {reauth} need{reauth === 1 ? 's' : ''} re-auth</span>}
      {errors > 0 && <span className="summary-error"> · {errors} with errors</span>}
      {reauth === 0 && errors === 0 && connections.length > 0 && <span className="summary-ok"> · all good</span>}
    </p>
  );
}

/** On the empty list: the CLI logins the importer finds on this machine, if any, as the other way in. */
function DetectedLogins() {
  const [scan] = useQuery('imports.scan', {});
  if (scan.status !== 'ready') return null;
  const usable = scan.value.logins.filter((l) => !l.importedAs && !l.expired).length;
  if (usable === 0) return null;
  return (
    <a className="btn" href={href.logins}>
      Use {usable === 1 ? 'the CLI login' : `one of the ${usable} CLI logins`} found on this machine
    </a>
  );
}

export function ConnectionsScreen({ canImport }: { canImport: boolean }) {
  const { state } = useConnections();
  const [query, setQuery] = useState('');
  const [flash] = useState(takeFlash);
  const q = useDeferredValue(query);
  const all = state.status === 'ready' ? state.value : [];
  const shown = useMemo(() => all.filter((c) => matches(c, q)), [all, q]);

  return (
    <>
      <PageHeader
        title={LIST_TEXT.title}
        subtitle={LIST_TEXT.subtitle}
        actions={
          <a className="btn btn-primary" href={href.add()}>
            {LIST_TEXT.add}
          </a>
        }
      />
      {flash && (
        <Note kind={flash.kind}>
          <p>{flash.text}</p>
        </Note>
      )}
      {state.status === 'loading' && <Spinner label="Loading connections…" />}
      {state.status === 'error' && <ErrorNote error={state.error} />}
      {state.status === 'ready' && all.length === 0 && (
        <div className="empty">
          <h2>No connections yet</h2>
          <p>Connect a service — an LLM provider, GitHub, your mail server — and Sophon keeps its credential encrypted in the vault.</p>
          <div className="empty-actions">
            <a className="btn btn-primary" href={href.add()}>
              Add your first connection
            </a>
            {canImport && <DetectedLogins />}
          </div>
        </div>
      )}
      {state.status === 'ready' && all.length > 0 && (
        <>
          <div className="toolbar">
            <label className="search">
              <span className="visually-hidden">{LIST_TEXT.searchLabel}</span>
              <input type="search" placeholder={LIST_TEXT.searchPlaceholder} value={query} onChange={(e) => setQuery(e.target.value)} />
            </label>
            <AttentionSummary connections={all} />
          </div>
          <ConnectionGroups connections={shown} emptyText={`No connection matches “${q}”.`} />
        </>
      )}
    </>
  );
}
