import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import type { Connection } from '../../../shared/connections';
import type { In, Out } from '../../../shared/contract';
import { hasOperation, useApi, useConnections, type Loadable } from '../api';
import { describeError } from '../errors';
import { absolute, relative } from '../format';
import { ErrorNote, PageHeader, Spinner } from '../ui';

type AuditFilter = Omit<In<'audit.query'>, 'limit' | 'offset'>;
type Answer = Exclude<Loadable<Out<'audit.query'>>, { status: 'loading' }>;

const OUTCOME_CLASS: Record<string, string> = { ok: 'text-ok', success: 'text-ok', failed: 'text-bad', error: 'text-bad', refused: 'text-bad', denied: 'text-bad' };

/**
 * One page of the trail, with the page its answer is for: while the next page loads, the rows on screen
 * keep their own numbers instead of being labelled as the page asked for.
 */
function useAuditPage(filter: AuditFilter, pageSize: number, page: number): { shown: { page: number; result: Answer } | null; loading: boolean } {
  const { api } = useApi();
  const key = JSON.stringify({ ...filter, limit: pageSize, offset: page * pageSize });
  const [shown, setShown] = useState<{ key: string; page: number; result: Answer } | null>(null);
  useEffect(() => {
    let live = true;
    api['audit.query'](JSON.parse(key) as In<'audit.query'>).then(
      (value) => live && setShown({ key, page, result: { status: 'ready', value } }),
      (err: unknown) => live && setShown({ key, page, result: { status: 'error', error: describeError(err) } }),
    );
    return () => {
      live = false;
    };
  }, [api, key, page]);
  return { shown, loading: shown?.key !== key };
}

/** The audit trail for a filter, newest first, paged. */
export function AuditTable({ filter, pageSize = 50, compact = false, others = null }: { filter: AuditFilter; pageSize?: number; compact?: boolean; others?: readonly Connection[] | null }) {
  const [page, setPage] = useState(0);
  const { shown, loading } = useAuditPage(filter, pageSize, page);
  const { state: conns } = useConnections();
  const labels = useMemo(() => new Map([...(others ?? []), ...(conns.status === 'ready' ? conns.value : [])].map((c) => [c.id, c.label])), [conns, others]);
  const captionId = useId();
  if (!shown) return <Spinner label="Loading the audit trail…" />;
  if (shown.result.status === 'error') return <ErrorNote error={shown.result.error} />;
  const { rows, total } = shown.result.value;
  const at = shown.page;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  // aria-disabled, not disabled, while a page loads: a disabled button would drop the keyboard focus.
  const move = (delta: number) => () => {
    if (!loading) setPage(at + delta);
  };
  if (total === 0) return <p className="muted">No audit rows{compact ? ' for this connection yet' : ' match these filters'}.</p>;
  return (
    <div className="table-wrap">
      <table className="audit-table" aria-describedby={captionId} aria-busy={loading}>
        <caption id={captionId} className="visually-hidden">
          Audit rows, newest first. Page {at + 1} of {pages}.
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            {!compact && <th scope="col">Connection</th>}
            <th scope="col">Skill / tool</th>
            {!compact && <th scope="col">User</th>}
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-action={r.action}>
              <td title={absolute(r.at)}>
                <time dateTime={r.at}>{relative(r.at)}</time>
              </td>
              <td>{r.action}</td>
              <td className={OUTCOME_CLASS[r.outcome] ?? undefined}>{r.outcome}</td>
              {!compact && (
                <td>
                  {r.connectionId ? (
                    labels.has(r.connectionId) ? (
                      <>
                        {labels.get(r.connectionId)} <span className="muted">({r.connectionId})</span>
                      </>
                    ) : (
                      r.connectionId
                    )
                  ) : (
                    '—'
                  )}
                </td>
              )}
              <td>{[r.skill, r.tool].filter(Boolean).join(' / ') || '—'}</td>
              {!compact && <td>{r.userId}</td>}
              <td className="detail-cell">{r.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="Audit pages">
        <button type="button" className="btn btn-small" onClick={move(-1)} disabled={at === 0} aria-disabled={loading || undefined}>
          Newer
        </button>
        <span role="status" aria-live="polite">
          {loading ? `Loading page ${page + 1} of ${pages}…` : `${at * pageSize + 1}–${at * pageSize + rows.length} of ${total}`}
        </span>
        <button type="button" className="btn btn-small" onClick={move(1)} disabled={at + 1 >= pages} aria-disabled={loading || undefined}>
          Older
        </button>
      </nav>
    </div>
  );
}

/**
 * A datetime-local value (the browser's own zone) as an instant. The fields show seconds, so To covers the
 * whole second it shows (`end`): rows made during 10:05:30 are in a range "to 10:05:30".
 */
const toIso = (local: string, end = false): string | undefined => (local ? new Date(new Date(local).getTime() + (end ? 999 : 0)).toISOString() : undefined);

/** For an admin, every user's connections (`admin.connections`: names and owners, never a credential); null otherwise or until loaded. */
function useEveryonesConnections(isAdmin: boolean): Connection[] | null {
  const { api } = useApi();
  const [all, setAll] = useState<Connection[] | null>(null);
  useEffect(() => {
    if (!isAdmin) return;
    let live = true;
    // Without it the filter still offers the admin's own connections.
    api['admin.connections']({}).then(
      (v) => live && setAll(v.connections),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, isAdmin]);
  return all;
}

/** The caller's MCP agents (their ids are the `skill` of their audit rows); empty where the door has no agents.list. */
function useAgentIds(): string[] {
  const { api } = useApi();
  const [agents, setAgents] = useState<string[]>([]);
  useEffect(() => {
    if (!hasOperation(api, 'agents.list')) return;
    let live = true;
    api['agents.list']({}).then(
      (v) => live && setAgents(v.agents.map((a) => a.agent)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return agents;
}

export function AuditScreen({ isAdmin, agent = undefined }: { isAdmin: boolean; agent?: string }) {
  const { state } = useConnections();
  const everyone = useEveryonesConnections(isAdmin);
  const agents = useAgentIds();
  const [filter, setFilter] = useState<AuditFilter>(agent ? { skill: agent } : {});
  const ids = { connection: useId(), agent: useId(), skill: useId(), user: useId(), since: useId(), until: useId() };
  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const s = (k: string) => {
      const v = d.get(k);
      return typeof v === 'string' && v.trim() ? v.trim() : undefined;
    };
    const next: AuditFilter = {};
    const connection = s('connection');
    // An MCP agent is the skill of its rows: picking one filters on it (over a skill typed too).
    const skill = s('agent') ?? s('skill');
    const userId = s('userId');
    const since = toIso(s('since') ?? '');
    const until = toIso(s('until') ?? '', true);
    if (connection) next.connection = connection;
    if (skill) next.skill = skill;
    // Another user's connection picked without naming the user: their trail is the one it is in.
    const owner = connection && !userId ? everyone?.find((c) => c.id === connection && !connections.some((m) => m.id === c.id))?.userId : undefined;
    const forUser = userId ?? owner;
    if (forUser) next.userId = forUser;
    if (since) next.since = since;
    if (until) next.until = until;
    setFilter(next);
  }
  const connections = state.status === 'ready' ? state.value : [];
  // Other users' connections, by user (admins only).
  const othersByUser = new Map<string, Connection[]>();
  for (const c of everyone ?? []) {
    if (connections.some((m) => m.id === c.id)) continue;
    const list = othersByUser.get(c.userId) ?? [];
    list.push(c);
    othersByUser.set(c.userId, list);
  }
  const option = (c: Connection) => (
    <option key={c.id} value={c.id}>
      {c.label} ({c.serviceName})
    </option>
  );
  return (
    <>
      <PageHeader title="Audit" subtitle="Every access to a credential: adds, tests, uses by skills, refreshes, removals. Never a secret." />
      <form className="card filters" onSubmit={apply} onReset={() => setFilter({})} aria-label="Filter the audit trail">
        <div className="field">
          <label htmlFor={ids.connection}>Connection</label>
          <select id={ids.connection} name="connection" defaultValue="">
            <option value="">All connections</option>
            {othersByUser.size === 0 ? (
              connections.map(option)
            ) : (
              <>
                <optgroup label="Yours">{connections.map(option)}</optgroup>
                {[...othersByUser].map(([user, list]) => (
                  <optgroup key={user} label={`${user}’s`}>
                    {list.map(option)}
                  </optgroup>
                ))}
              </>
            )}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.agent}>Agent</label>
          <select id={ids.agent} name="agent" defaultValue={agent ?? ''}>
            <option value="">All agents and skills</option>
            {[...new Set([...agents, ...(agent ? [agent] : [])])].map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.skill}>Skill</label>
          <input id={ids.skill} name="skill" type="text" placeholder="any" autoComplete="off" />
        </div>
        {isAdmin && (
          <div className="field">
            <label htmlFor={ids.user}>User</label>
            <input id={ids.user} name="userId" type="text" placeholder="you" autoComplete="off" />
          </div>
        )}
        <div className="field">
          <label htmlFor={ids.since}>From</label>
          <input id={ids.since} name="since" type="datetime-local" step={1} />
        </div>
        <div className="field">
          <label htmlFor={ids.until}>To</label>
          <input id={ids.until} name="until" type="datetime-local" step={1} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button type="reset" className="btn btn-quiet">
            Clear
          </button>
        </div>
      </form>
      <AuditTable key={JSON.stringify(filter)} filter={filter} others={everyone} />
    </>
  );
}
