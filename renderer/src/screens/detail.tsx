import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { EventPayload, Out } from '../../../shared/contract';
import { useApi, useConnections, useEvent, useQuery } from '../api';
import { describeError, type ErrorText } from '../errors';
import { setFlash, takeFlash, type Flash } from '../flash';
import { absolute, relative } from '../format';
import { outcomeText } from '../outcome';
import { href, navigate } from '../router';
import { AuditTable } from './audit';
import { OAuthProgress, parseScopes, ScopesEditor } from './add';
import { DeviceSignIn } from './device-signin';
import { Dialog, ErrorNote, Note, PageHeader, ServiceIcon, Spinner, StateBadge } from '../ui';
import { authMethodName } from '../../../shared/auth-names';
import { attentionOf } from '../../../shared/attention';
import type { Connection } from '../../../shared/connections';
import { CodeText } from '../code-text';
import { usageBySkill } from '../connection-usage';
import '../connections.css';

type Busy = null | 'test' | 'reauth' | 'rename' | 'remove' | 'refresh' | 'replace';

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
  const [replacing, setReplacing] = useState(false);
  const [label, setLabel] = useState(c.label);
  const [reauthOpen, setReauthOpen] = useState(c.state === 'needs_reauth');
  const [scopes, setScopes] = useState(c.scopes.join('\n'));
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [progress, setProgress] = useState<EventPayload<'oauth.progress'> | null>(null);
  const [auditKey, setAuditKey] = useState(0);
  const isOAuth = c.authMethod === 'oauth2';
  // A key typed into Sophon can be replaced in place; OAuth signs in again, a linked login is renewed in its own program.
  const replaceable = !isOAuth && c.authMethod !== 'none' && c.fields.importMode !== 'linked';
  const attention = attentionOf(c, Date.now());
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
    // "Sign in with a code" on re-auth: a device sign-in (RFC 8628), for when no browser can open here.
    const device = (e.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'device';
    void run('reauth', async () => {
      const r = await api['connections.reauth']({ connection: c.id, scopes: parseScopes(scopes), ...(device ? { device } : {}) });
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
  const replace = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    // The new key is read straight from the form, never kept in React state, and the field is cleared at once.
    const data = new FormData(form);
    const secret = String(data.get('secret') ?? '');
    const testFirst = data.get('test') === 'on';
    form.querySelectorAll<HTMLInputElement>('input[type=password]').forEach((i) => (i.value = ''));
    void run(
      'replace',
      async () => {
        setTestResult(null);
        const r = await api['connections.update']({ connection: c.id, secret, test: testFirst });
        upsert(r.connection);
        setReplacing(false);
        setFlashHere(
          r.test
            ? { kind: r.connection.state === 'active' && r.test.status === 'ok' ? 'ok' : 'warn', text: `Replaced the key of “${r.connection.label}”. ${outcomeText(r.test)}` }
            : { kind: 'ok', text: `Replaced the key of “${r.connection.label}” (not tested).` },
        );
      },
      (err) => {
        const text = describeError(err);
        return text.code === 'auth_failed' && testFirst ? { ...text, detail: `${text.detail} To store it anyway, untick “Test the new key first”.` } : text;
      },
    );
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
          {c.stateReason && (
            <p>
              <CodeText text={c.stateReason} />
            </p>
          )}
        </Note>
      )}
      {c.state === 'error' && (
        <Note kind="warn">
          <p className="note-title">This connection has a problem.</p>
          {c.stateReason && (
            <p>
              <CodeText text={c.stateReason} />
            </p>
          )}
        </Note>
      )}
      {c.state === 'untested' && (
        <Note kind="warn">
          <p className="note-title">This key is stored but untested: its test could not reach {c.serviceName}.</p>
          {c.stateReason && (
            <p>
              <CodeText text={c.stateReason} />
            </p>
          )}
          <p>Test it once the service can be reached; a passing test makes it active.</p>
        </Note>
      )}
      {(attention === 'expires_soon' || attention === 'expired') && c.expiresAt && (
        <Note kind="warn">
          <p className="note-title" data-fact="expiry-note">
            {attention === 'expired' ? `This key expired ${relative(c.expiresAt)}` : `This key expires ${expiryText(c.expiresAt)}`} ({absolute(c.expiresAt)}).
          </p>
          <p>{replaceable ? 'Create a new key at the service, then use Replace key below: the connection keeps its name, id and history.' : 'Renew it where it comes from, then test it here.'}</p>
        </Note>
      )}
      {error && <ErrorNote error={error} onDismiss={() => setError(null)} />}

      <section className="card" aria-labelledby="details-h">
        <h2 id="details-h" className="card-title">
          <ServiceIcon name={c.serviceName} serviceId={c.serviceId} /> Details
        </h2>
        <dl className="facts">
          <dt>Service</dt>
          <dd>{c.serviceName}</dd>
          <dt>Account</dt>
          <dd>{c.account ?? '—'}</dd>
          <dt>Sign-in method</dt>
          <dd>{authMethodName(c.authMethod)}</dd>
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
          <ImportFact fields={c.fields} />
          {Object.entries(c.fields)
            .filter(([k]) => !k.startsWith('import'))
            .map(([k, v]) => (
              <FieldFact key={k} name={k} value={v} />
            ))}
          <dt>Added</dt>
          <dd title={absolute(c.createdAt)}>{relative(c.createdAt)}</dd>
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
          <dd>
            {c.lastTest ? (
              <>
                <CodeText text={outcomeText(c.lastTest)} /> <span title={absolute(c.lastTest.at)}>({relative(c.lastTest.at)})</span>
              </>
            ) : (
              'never tested'
            )}
          </dd>
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
          {replaceable && (
            <button type="button" className="btn" onClick={() => setReplacing((r) => !r)} aria-expanded={replacing} disabled={busy !== null}>
              Replace key…
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
                <CodeText text={outcomeText(testResult)} />
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
        {replacing && replaceable && (
          <form className="inline-form inline-form-column" onSubmit={replace} aria-label="Replace key">
            <p>A rotated or renewed key replaces the old one in place: the connection keeps its name, id and history.</p>
            <div className="field">
              <label htmlFor={`${renameId}-secret`}>New key</label>
              <input id={`${renameId}-secret`} name="secret" type="password" required autoComplete="new-password" spellCheck={false} autoFocus />
            </div>
            <div className="field field-check">
              <input id={`${renameId}-test`} name="test" type="checkbox" defaultChecked />
              <label htmlFor={`${renameId}-test`}>Test the new key first</label>
            </div>
            {busy === 'replace' && <Spinner label="Replacing the key…" />}
            <div className="form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy !== null}>
                Replace key
              </button>
              <button type="button" className="btn btn-quiet" onClick={() => setReplacing(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
        {reauthOpen && isOAuth && (
          <form className="inline-form inline-form-column" onSubmit={reauth}>
            <p>Sign in to {c.serviceName} again in your browser. The connection keeps its name, id and history. To grant more access, add scopes below.</p>
            <ScopesEditor id={`${renameId}-scopes`} value={scopes} onChange={setScopes} />
            {busy === 'reauth' && (progress?.device ? <DeviceSignIn device={progress.device} serviceName={c.serviceName} /> : <OAuthProgress progress={progress} serviceName={c.serviceName} />)}
            <div className="form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy !== null}>
                Sign in again
              </button>
              <DeviceReauthButton serviceId={c.serviceId} disabled={busy !== null} />
            </div>
          </form>
        )}
      </section>

      <UsedBy connectionId={c.id} refresh={auditKey} />

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
          <button type="button" className="btn" data-autofocus onClick={() => setConfirmRemove(false)}>
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

/** Where an imported connection comes from, in words (its internal import key and store path are not shown). */
function ImportFact({ fields }: { fields: Record<string, string> }) {
  const source = fields.importSource;
  if (!source) return null;
  const names: Record<string, string> = { gh: 'GitHub CLI (gh)', claude: 'Claude Code', codex: 'Codex', env: 'an environment variable', 'openai-file': 'an OpenAI key file' };
  const how = fields.importMode === 'linked' ? 'linked: read from there at each use' : 'a copy kept in the vault';
  return (
    <>
      <dt>Imported from</dt>
      <dd>
        {names[source] ?? source} ({how})
      </dd>
    </>
  );
}

/** Which skills and MCP agents used this connection, and when (from its audit trail). */
function UsedBy({ connectionId, refresh }: { connectionId: string; refresh: number }) {
  const [rows] = useQuery('audit.query', { connection: connectionId, limit: 1000 }, [refresh]);
  if (rows.status !== 'ready') return null;
  const usage = usageBySkill(rows.value.rows);
  return (
    <section className="card" aria-labelledby="used-by-h">
      <h2 id="used-by-h" className="card-title">
        Used by
      </h2>
      {usage.length === 0 ? (
        <p className="muted">No skill or agent has used this connection yet.</p>
      ) : (
        <ul className="used-by" role="list">
          {usage.map((u) => (
            <li key={`${u.kind}:${u.who}`} data-used-by={u.who}>
              <strong>{u.who}</strong>
              <span className="muted">{u.kind === 'agent' ? 'agent' : 'skill'}</span>
              <span>
                {u.calls} call{u.calls === 1 ? '' : 's'}
                {u.failed > 0 ? ` (${u.failed} refused or failed)` : ''}, last <span title={absolute(u.lastAt)}>{relative(u.lastAt)}</span>
              </span>
              {u.tools.length > 0 && <span className="muted">tools: {u.tools.join(', ')}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
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

/** Offered where the service has a device authorization endpoint: mounted only with the re-auth form, so the catalog is asked only then. */
function DeviceReauthButton({ serviceId, disabled }: { serviceId: string; disabled: boolean }) {
  const [services] = useQuery('services.list', {});
  const service = services.status === 'ready' ? services.value.services.find((s) => s.id === serviceId) : undefined;
  if (!service?.oauthSetup?.deviceFlow) return null;
  return (
    <button type="submit" name="how" value="device" className="btn" disabled={disabled}>
      Sign in with a code
    </button>
  );
}
