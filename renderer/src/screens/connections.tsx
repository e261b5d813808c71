import { startTransition, useDeferredValue, useEffect, useMemo, useState } from 'react';
import { useConnections, useQuery } from '../api';
import { attentionOf } from '../../../shared/attention';
import type { Connection } from '../../../shared/connections';
import { attention, attentionParts, COLUMNS, expiresText, FIRST_ROWS, lastTestText, LIST_TEXT, rowLabel, rowText, sortConnections } from '../connection-view';
import '../connections.css';
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

export function ConnectionRow({ c, now }: { c: Connection; now: number }) {
  const { name, sub } = rowText(c);
  const need = attentionOf(c, now);
  return (
    <li className="conn-row" data-connection-id={c.id} data-attention={need ?? undefined}>
      <a className="conn-link" href={href.connection(c.id)} aria-label={rowLabel(c, now)}>
        <ServiceIcon name={c.serviceName} serviceId={c.serviceId} />
        <span className="conn-main">
          <span className="conn-label">{name}</span>
          <span className="conn-sub">{sub}</span>
        </span>
        <span className="conn-badge">
          <StateBadge connection={c} />
          {c.state !== 'active' && c.stateReason && <span className="conn-reason">{c.stateReason}</span>}
        </span>
        <span className="conn-cell" data-col="used" title={absolute(c.lastUsedAt)}>
          {relative(c.lastUsedAt)}
        </span>
        <span className={need === 'expires_soon' || need === 'expired' ? 'conn-cell text-warn' : 'conn-cell'} data-col="expires" title={absolute(c.expiresAt)}>
          {expiresText(c)}
        </span>
        <span className={c.lastTest && !c.lastTest.ok ? 'conn-cell text-bad' : 'conn-cell'} data-col="test">
          {lastTestText(c)}
        </span>
      </a>
    </li>
  );
}

/** The column labels, said once above the rows (each row's link carries its own accessible name). */
export function ConnectionHead() {
  return (
    <div className="conn-head" aria-hidden="true">
      {COLUMNS.map((col, i) => (
        <span key={i}>{col}</span>
      ))}
    </div>
  );
}

/** One dense row per connection: what needs the person first, then by service and label. */
export function ConnectionTable({ connections, emptyText }: { connections: Connection[]; emptyText: string }) {
  const [now] = useState(Date.now);
  const sorted = useMemo(() => sortConnections(connections, now), [connections, now]);
  const [limit, setLimit] = useState(FIRST_ROWS);
  useEffect(() => {
    if (connections.length <= limit) return;
    const t = setTimeout(() => startTransition(() => setLimit(Number.POSITIVE_INFINITY)), 0);
    return () => clearTimeout(t);
  }, [connections.length, limit]);
  if (sorted.length === 0) return <p className="muted empty-inline">{emptyText}</p>;
  return (
    <div className="conn-table">
      <ConnectionHead />
      <ul className="conn-list" role="list">
        {sorted.slice(0, limit).map((c) => (
          <ConnectionRow key={c.id} c={c} now={now} />
        ))}
      </ul>
    </div>
  );
}

export function AttentionSummary({ connections }: { connections: Connection[] }) {
  const parts = attentionParts(attention(connections));
  return (
    <p className="summary" role="status" aria-live="polite" aria-atomic="true">
      {connections.length} connection{connections.length === 1 ? '' : 's'}
      {parts.map((p) => (
        <span key={p.kind} className={`summary-${p.kind}`}>
          {' '}
          · {p.text}
        </span>
      ))}
      {parts.length === 0 && connections.length > 0 && <span className="summary-ok"> · all good</span>}
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
          <ConnectionTable connections={shown} emptyText={`No connection matches “${q}”.`} />
        </>
      )}
    </>
  );
}
