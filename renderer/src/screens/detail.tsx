import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Connection } from '../../../shared/connections';
import type { EventPayload, Out } from '../../../shared/contract';
import { useApi, useConnections, useEvent } from '../api';
import { describeError, type ErrorText } from '../errors';
import { setFlash, takeFlash, type Flash } from '../flash';
import { absolute, relative } from '../format';
import { outcomeText } from '../outcome';
import { href, navigate } from '../router';
import { AuditTable } from './audit';
import { OAuthProgress, parseScopes, ScopesEditor } from './add';
import { Dialog, ErrorNote, Note, PageHeader, ServiceIcon, Spinner, StateBadge } from '../ui';

type Busy = null | 'test' | 'reauth' | 'rename' | 'remove' | 'refresh';

export function DetailScreen({ id }: { id: string }) {
  const { state } = useConnections();
  const [flash, setFlashHere] = useState<Flash | null>(() => takeFlash());
  if (state.status === 'loading') return <Spinner label="Loading…" />;
  if (state.status === 'error') return <ErrorNote error={state.error} />;
  const c = state.value.find((x) => x.id === id);
  if (!c) {
    return (
      <>
        <PageHeader title="Connection not found" />
        <p>This connection does not exist (any more). It may have been removed in another window or from the command line.</p>
        <a className="btn" href={href.connections}>
          Back to connections
        </a>
      </>
    );
  }
  return <Detail key={c.id} c={c} flash={flash} setFlashHere={setFlashHere} />;
}

function Detail({ c, flash, setFlashHere }: { c: Connection; flash: Flash | null; setFlashHere: (f: Flash | null) => void }) {
  const { api } = useApi();
  const { upsert, drop } = useConnections();
  const [busy, setBusy] = useState<Busy>(null);
  const [error, setError] = useState<ErrorText | null>(null);
  const [testResult, setTestResult] = useState<Out<'connections.test'>['outcome'] | null>(null);
  const [refreshed, setRefreshed] = useState<{ expiresAt: string | null } | null>(null);
  const [renaming, setRenaming] = useState(false);
  const [label, setLabel] = useState(c.label);
  const [reauthOpen, setReauthOpen] = useState(c.state === 'needs_reauth');
  const [scopes, setScopes] = useState(c.scopes.join('\n'));
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [progress, setProgress] = useState<EventPayload<'oauth.progress'> | null>(null);
  const [auditKey, setAuditKey] = useState(0);
  const isOAuth = c.authMethod === 'oauth2';
  const renameId = useId();

  const waiting = useRef(false);
  useEvent('oauth.progress', (p) => {
    if (waiting.current && (p.connectionId === c.id || p.connectionId === null) && p.serviceId === c.serviceId) setProgress(p);
  });
  useEffect(() => {
    document.querySelector<HTMLElement>('.page-title')?.focus();
  }, []);

  async function run<T>(what: Exclude<Busy, null>, fn: () => Promise<T>, describe: (err: unknown) => ErrorText = describeError): Promise<T | undefined> {
    setBusy(what);
    setError(null);
    setFlashHere(null);
    try {
      return await fn();
    } catch (err) {
      setError(describe(err));
      return undefined;
    } finally {
      setBusy(null);
      setAuditKey((k) => k + 1);
    }
  }

  const test = () =>
    run('test', async () => {
      setTestResult(null);
      setRefreshed(null);
      const r = await api['connections.test']({ connection: c.id });
      upsert(r.connection);
      setTestResult(r.outcome);
    });
  const refresh = () =>
    run(
      'refresh',
      async () => {
        setTestResult(null);
        setRefreshed(null);
        const r = await api['connections.refresh']({ connection: c.id });
        upsert(r.connection);
        setRefreshed({ expiresAt: r.connection.expiresAt });
      },
      (err) => {
        const text = describeError(err);
        if (text.code !== 'auth_failed') return text;
        // The generic sentence ("check that it is correct") fits a typed key; a refused refresh needs a new sign-in.
        setReauthOpen(true);
        return { ...text, title: `${c.serviceName} refused to refresh the token. Sign in again (below) to keep using this connection.` };
      },
    );
  const reauth = (e: FormEvent) => {
    e.preventDefault();
    setProgress(null);
    waiting.current = true;
    void run('reauth', async () => {
      const r = await api['connections.reauth']({ connection: c.id, scopes: parseScopes(scopes) });
      upsert(r.connection);
      setReauthOpen(false);
      setFlashHere({ kind: 'ok', text: `Signed in again. ${c.serviceName} granted: ${r.connection.scopes.join(', ') || 'no scopes listed'}.` });
    }).finally(() => (waiting.current = false));
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    void run('rename', async () => {
      const r = await api['connections.rename']({ connection: c.id, label: label.trim() });
      upsert(r.connection);
      setRenaming(false);
    });
  };
  const remove = () =>
    run('remove', async () => {
      const r = await api['connections.remove']({ connection: c.id });
      setConfirmRemove(false);
      setFlash(
        r.revocation === 'failed'
          ? { kind: 'warn', text: `Removed “${c.label}”. Revoking it at ${c.serviceName} failed${r.revocationMessage ? `: ${r.revocationMessage}` : ''} — revoke it in the service’s own settings.` }
          : { kind: 'ok', text: r.revocation === 'revoked' ? `Removed “${c.label}” and revoked it at ${c.serviceName}.` : `Removed “${c.label}”.` },
      );
      drop(c.id);
      navigate(href.connections);
      return r;
    });

  return (
    <>
      <p className="crumbs">
        <a href={href.connections}>Connections</a> <span aria-hidden="true">/</span> {c.serviceName}
      </p>
      <PageHeader title={c.label} subtitle={<>{c.serviceName}{c.account ? ` · ${c.account}` : ''}</>} actions={<StateBadge connection={c} />} />
      {flash && (
        <Note kind={flash.kind}>
          <p>{flash.text}</p>
        </Note>
      )}
      {c.state === 'needs_reauth' && (
        <Note kind="warn">
          <p className="note-title">This connection needs you to sign in again.</p>
          {c.stateReason && <p>{c.stateReason}</p>}
        </Note>
      )}
      {c.state === 'error' && (
        <Note kind="warn">
          <p className="note-title">This connection has a problem.</p>
          {c.stateReason && <p>{c.stateReason}</p>}
        </Note>
      )}
      {error && <ErrorNote error={error} onDismiss={() => setError(null)} />}

      <section className="card" aria-labelledby="details-h">
        <h2 id="details-h" className="card-title">
          <ServiceIcon name={c.serviceName} /> Details
        </h2>
        <dl className="facts">
          <dt>Service</dt>
          <dd>{c.serviceName}</dd>
          <dt>Account</dt>
          <dd>{c.account ?? '—'}</dd>
          <dt>Sign-in method</dt>
          <dd>{c.authMethod}</dd>
          {c.secretHint && (
            <>
              <dt>Key</dt>
              <dd>
                <code>{c.secretHint}</code>
              </dd>
            </>
          )}
          {c.scopes.length > 0 && (
            <>
              <dt>Scopes</dt>
              <dd>{c.scopes.join(', ')}</dd>
            </>
          )}
          {Object.entries(c.fields).map(([k, v]) => (
            <FieldFact key={k} name={k} value={v} />
          ))}
          <dt>Added</dt>
          <dd>{absolute(c.createdAt)}</dd>
          <dt>Last used</dt>
          <dd title={absolute(c.lastUsedAt)}>{relative(c.lastUsedAt)}</dd>
          <dt>Expires</dt>
          <dd title={absolute(c.expiresAt)}>
            {c.expiresAt ? (
              <time dateTime={c.expiresAt} data-fact="expires">
                {expiryText(c.expiresAt)}
              </time>
            ) : (
              'no expiry'
            )}
          </dd>
          <dt>Last test</dt>
          <dd>{c.lastTest ? `${outcomeText(c.lastTest)} (${relative(c.lastTest.at)})` : 'never tested'}</dd>
          <dt>Id</dt>
          <dd>
            <code>{c.id}</code>
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="actions-h">
        <h2 id="actions-h" className="card-title">
          Actions
        </h2>
        <div className="actions">
          <button type="button" className="btn" onClick={() => void test()} disabled={busy !== null}>
            Test
          </button>
          {isOAuth && (
            <button type="button" className="btn" onClick={() => setReauthOpen((o) => !o)} aria-expanded={reauthOpen} disabled={busy !== null}>
              Re-auth…
            </button>
          )}
          {isOAuth && (
            <button type="button" className="btn" onClick={() => void refresh()} disabled={busy !== null}>
              Refresh token
            </button>
          )}
          <button type="button" className="btn" onClick={() => setRenaming((r) => !r)} aria-expanded={renaming} disabled={busy !== null}>
            Rename…
          </button>
          <button type="button" className="btn btn-danger" onClick={() => setConfirmRemove(true)} disabled={busy !== null}>
            Remove…
          </button>
        </div>
        <div aria-live="polite" className="live-region">
          {busy === 'test' && <Spinner label="Testing…" />}
          {busy === 'refresh' && <Spinner label="Refreshing the token…" />}
          {refreshed && (
            <Note kind="ok">
              <p className="refresh-result">
                Token refreshed. {refreshed.expiresAt ? `The new token expires ${expiryText(refreshed.expiresAt)} (${absolute(refreshed.expiresAt)}).` : 'The new token does not expire.'}
              </p>
            </Note>
          )}
          {testResult && (
            <Note kind={testResult.status === 'ok' ? 'ok' : 'warn'}>
              <p className="test-result" data-status={testResult.status}>
                {outcomeText(testResult)}
                {testResult.account ? ` (account ${testResult.account})` : ''} — {testResult.elapsedMs} ms
              </p>
            </Note>
          )}
        </div>
        {renaming && (
          <form className="inline-form" onSubmit={rename}>
            <div className="field">
              <label htmlFor={renameId}>New name</label>
              <input id={renameId} value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={80} autoFocus />
            </div>
            <button type="submit" className="btn btn-primary" disabled={busy !== null || !label.trim()}>
              Save name
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        )}
        {reauthOpen && isOAuth && (
          <form className="inline-form inline-form-column" onSubmit={reauth}>
            <p>Sign in to {c.serviceName} again in your browser. The connection keeps its name, id and history. To grant more access, add scopes below.</p>
            <ScopesEditor id={`${renameId}-scopes`} value={scopes} onChange={setScopes} />
            {busy === 'reauth' && <OAuthProgress progress={progress} serviceName={c.serviceName} />}
            <div className="form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy !== null}>
                Sign in again
              </button>
            </div>
          </form>
        )}
      </section>

      <section className="card" aria-labelledby="history-h">
        <h2 id="history-h" className="card-title">
          History
        </h2>
        <AuditTable key={auditKey} filter={{ connection: c.id }} pageSize={10} compact />
      </section>

      <Dialog open={confirmRemove} title={`Remove “${c.label}”?`} onClose={() => setConfirmRemove(false)}>
        <p>
          Sophon deletes the stored credential and {isOAuth ? <strong>also revokes it at {c.serviceName}</strong> : <>revokes it at {c.serviceName} where the service allows it</>}, so it stops working everywhere. Your agent loses access to this account.
        </p>
        <p className="muted">The connection’s history stays in the audit trail.</p>
        {busy === 'remove' && <Spinner label="Removing…" />}
        <div className="form-actions">
          <button type="button" className="btn btn-danger" onClick={() => void remove()} disabled={busy !== null}>
            Remove and revoke
          </button>
          <button type="button" className="btn" autoFocus onClick={() => setConfirmRemove(false)}>
            Keep it
          </button>
        </div>
      </Dialog>
    </>
  );
}

/** When a token expires, in words; relative() would call anything within a minute "just now" either way. */
function expiryText(iso: string, now = Date.now()): string {
  const left = Date.parse(iso) - now;
  if (Math.abs(left) < 60_000) return left > 0 ? 'in under a minute' : 'under a minute ago';
  return relative(iso, now);
}

function FieldFact({ name, value }: { name: string; value: string }) {
  const words = name.replace(/([A-Z])/g, ' $1').replace(/^./, (ch) => ch.toUpperCase());
  return (
    <>
      <dt>{words}</dt>
      <dd>{value}</dd>
    </>
  );
}
