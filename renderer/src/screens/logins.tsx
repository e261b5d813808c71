import { useId, useState } from 'react';
import type { LoginView, Out } from '../../../shared/contract';
import { useApi, useConnections, useQuery } from '../api';
import { describeError, type ErrorText } from '../errors';
import { absolute, relative } from '../format';
import { href } from '../router';
import { ErrorNote, Note, PageHeader, ServiceIcon, Spinner } from '../ui';

/** Why a login cannot be imported as a usable connection, in words; null when it can. */
function blocker(l: LoginView): string | null {
  if (l.importedAs) return null;
  if (l.expired) return `This login expired${l.expiresAt ? ` ${relative(l.expiresAt)}` : ''}. Sign in again with ${l.sourceName}, then scan again.`;
  return null;
}

const SOURCE_STATUS: Record<string, string> = { ok: 'found', missing: 'nothing found', error: 'could not be read' };

/** CLI logins the importer found on this machine (gh, Claude Code, Codex, environment variables), one click to import. */
export function LoginsScreen() {
  const { api } = useApi();
  const { reload: reloadConnections } = useConnections();
  const [scan, rescan] = useQuery('imports.scan', {});
  const [busyKey, setBusyKey] = useState<string | null>(null);
  const [error, setError] = useState<ErrorText | null>(null);
  const [result, setResult] = useState<Out<'imports.run'> | null>(null);
  const [copy, setCopy] = useState(false);
  const copyId = useId();

  async function importLogins(keys: string[]) {
    setBusyKey(keys.length === 1 ? keys[0]! : '*');
    setError(null);
    setResult(null);
    try {
      setResult(await api['imports.run']({ keys, copy }));
      reloadConnections();
      rescan();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusyKey(null);
    }
  }

  const logins = scan.status === 'ready' ? scan.value.logins : [];
  const importable = logins.filter((l) => !l.importedAs && !blocker(l));
  return (
    <>
      <PageHeader
        title="CLI logins"
        subtitle="Logins other tools on this machine already hold (GitHub CLI, Claude Code, Codex, environment variables). Import one and your agent can use it through Sophon — Sophon only reads those stores."
        actions={
          <button type="button" className="btn" onClick={rescan} disabled={scan.status === 'loading'}>
            Scan again
          </button>
        }
      />
      {scan.status === 'loading' && <Spinner label="Looking for logins on this machine…" />}
      {scan.status === 'error' && <ErrorNote error={scan.error} />}
      {error && <ErrorNote error={error} onDismiss={() => setError(null)} />}
      <div aria-live="polite">
        {busyKey && <Spinner label="Importing…" />}
        {result && (
          <Note kind={result.skipped.length ? 'warn' : 'ok'}>
            {result.imported.length > 0 && (
              <p className="import-result">
                Imported {result.imported.length} login{result.imported.length === 1 ? '' : 's'}:{' '}
                {result.imported.map((i, n) => (
                  <span key={i.key}>
                    {n > 0 && ', '}
                    <a href={href.connection(i.connectionId)}>{i.connectionId}</a> ({i.mode === 'linked' ? 'linked' : 'copied'})
                  </span>
                ))}
                .
              </p>
            )}
            {result.skipped.map((s) => (
              <p key={s.key}>
                Not imported — {s.key}: {s.reason}
              </p>
            ))}
          </Note>
        )}
      </div>
      {scan.status === 'ready' && (
        <>
          {logins.length === 0 ? (
            <div className="empty">
              <h2>No CLI logins found</h2>
              <p>Sign in with a tool such as the GitHub CLI (<code>gh auth login</code>), then scan again — or add a connection yourself.</p>
              <div className="empty-actions">
                <a className="btn btn-primary" href={href.add()}>
                  Add connection
                </a>
              </div>
            </div>
          ) : (
            <>
              <div className="toolbar">
                <div className="field field-check">
                  <input id={copyId} type="checkbox" checked={copy} onChange={(e) => setCopy(e.target.checked)} />
                  <label htmlFor={copyId}>Store a copy in Sophon’s vault instead of linking (where the tool allows it)</label>
                </div>
                {importable.length > 1 && (
                  <button type="button" className="btn" onClick={() => void importLogins(importable.map((l) => l.key))} disabled={busyKey !== null}>
                    Import all {importable.length}
                  </button>
                )}
              </div>
              <ul className="conn-list" role="list" aria-label="Logins found">
                {logins.map((l) => (
                  <LoginRow key={l.key} login={l} busy={busyKey !== null} onImport={() => void importLogins([l.key])} />
                ))}
              </ul>
            </>
          )}
          <h2 className="section-title">Where Sophon looked</h2>
          <ul className="sources" role="list">
            {scan.value.sources.map((s) => (
              <li key={s.source} data-status={s.status}>
                <strong>{s.source}</strong>: <span className={s.status === 'error' ? 'text-bad' : s.status === 'ok' ? 'text-ok' : 'muted'}>{SOURCE_STATUS[s.status]}</span>
                {s.messages.length > 0 && <span className="muted"> — {s.messages.join(' ')}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function LoginRow({ login: l, busy, onImport }: { login: LoginView; busy: boolean; onImport: () => void }) {
  const { state } = useConnections();
  const why = blocker(l);
  const name = `${l.sourceName.charAt(0).toUpperCase()}${l.sourceName.slice(1)}${l.account ? ` — ${l.account}` : ''}`;
  const connectionName = l.importedAs && state.status === 'ready' ? state.value.find((c) => c.id === l.importedAs)?.label : undefined;
  return (
    <li className="login-row" data-login-key={l.key}>
      <ServiceIcon name={l.sourceName} serviceId={l.serviceId} />
      <div className="conn-main">
        <span className="conn-label">{name}</span>
        <span className="conn-sub">
          {l.serviceId}
          {l.host ? ` · ${l.host}` : ''}
          {l.plan ? ` · ${l.plan}` : ''} · from {l.store} ({l.storage})
        </span>
        {l.scopes.length > 0 && <span className="conn-sub">Scopes: {l.scopes.join(', ')}</span>}
        {l.expiresAt && (
          <span className="conn-sub" title={absolute(l.expiresAt)}>
            {l.expired ? 'Expired' : 'Expires'} {relative(l.expiresAt)}
          </span>
        )}
        {l.brokerPolicy && <span className="conn-sub text-bad">Not usable through the broker: {l.brokerPolicy}</span>}
        {l.warnings.map((w) => (
          <span key={w} className="conn-sub warn-text">
            {w}
          </span>
        ))}
        {why && <span className="conn-sub text-bad login-blocker">{why}</span>}
      </div>
      <div className="login-action">
        {l.importedAs ? (
          <a href={href.connection(l.importedAs)} className="btn btn-small">
            Imported{connectionName ? ` as ${connectionName}` : ''}
          </a>
        ) : (
          <button type="button" className="btn btn-primary btn-small" onClick={onImport} disabled={busy || why !== null} aria-label={`Import ${name} (${l.store})`}>
            Import
          </button>
        )}
        <span className="muted mode-text">{l.mode === 'linked' ? 'linked: Sophon re-reads the tool’s store' : 'copied into the vault'}</span>
      </div>
    </li>
  );
}
