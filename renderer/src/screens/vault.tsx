import { useState } from 'react';
import type { Out } from '../../../shared/contract';
import { useApi, useQuery } from '../api';
import { describeError, type ErrorText } from '../errors';
import { ErrorNote, Note, PageHeader, Spinner } from '../ui';
import { VaultMaintenance } from './vault-backup';

export function VaultScreen() {
  const { api } = useApi();
  const [status, reload] = useQuery('vault.status', {});
  const [verify, setVerify] = useState<Out<'vault.verify'> | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<ErrorText | null>(null);
  const [trail, setTrail] = useState<Out<'audit.verify'> | null>(null);
  const [checkingTrail, setCheckingTrail] = useState(false);
  const [trailError, setTrailError] = useState<ErrorText | null>(null);
  async function runTrailVerify() {
    setCheckingTrail(true);
    setTrailError(null);
    setTrail(null);
    try {
      setTrail(await api['audit.verify']({}));
    } catch (err) {
      setTrailError(describeError(err));
    } finally {
      setCheckingTrail(false);
    }
  }
  async function runVerify() {
    setVerifying(true);
    setError(null);
    setVerify(null);
    try {
      setVerify(await api['vault.verify']({}));
      reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setVerifying(false);
    }
  }
  return (
    <>
      <PageHeader
        title="Vault"
        subtitle="Where your credentials are kept: encrypted files (AES-256-GCM) under a master key the system keychain protects."
        actions={
          <>
            <button type="button" className="btn btn-primary" onClick={() => void runVerify()} disabled={verifying}>
              Verify every credential
            </button>{' '}
            <button type="button" className="btn" onClick={() => void runTrailVerify()} disabled={checkingTrail}>
              Verify audit trail
            </button>
          </>
        }
      />
      {status.status === 'loading' && <Spinner label="Reading the vault…" />}
      {status.status === 'error' && <ErrorNote error={status.error} />}
      {status.status === 'ready' && (
        <section className="card" aria-labelledby="vault-status-h">
          <h2 id="vault-status-h" className="card-title">
            Status
          </h2>
          <dl className="facts">
            <dt>Backend</dt>
            <dd>{status.value.provider}</dd>
            <dt>Key protector</dt>
            <dd>
              {status.value.keyProtector.kind}{' '}
              <span className={status.value.keyProtector.reachable ? 'badge badge-active' : 'badge badge-error'}>
                <span className="badge-dot" aria-hidden="true" />
                {status.value.keyProtector.reachable ? 'reachable' : 'not reachable'}
              </span>
            </dd>
            {status.value.keyProtector.location && (
              <>
                <dt>Key location</dt>
                <dd>{status.value.keyProtector.location}</dd>
              </>
            )}
            {status.value.keyProtector.keyId && (
              <>
                <dt>Key id</dt>
                <dd>
                  <code>{status.value.keyProtector.keyId}</code>
                </dd>
              </>
            )}
            {status.value.key?.createdAt && (
              <>
                <dt>Key age</dt>
                <dd data-testid="vault-key-age">
                  {status.value.key.ageDays} days (made {status.value.key.createdAt.slice(0, 10)}
                  {status.value.key.rotatedAt ? `, rotated ${status.value.key.rotatedAt.slice(0, 10)}` : ', never rotated'})
                </dd>
              </>
            )}
            <dt>Credentials</dt>
            <dd data-testid="vault-count">{status.value.credentials}</dd>
            <dt>Folder</dt>
            <dd>
              <code>{status.value.vaultDir}</code>
            </dd>
            <dt>Log file</dt>
            <dd>
              <code data-testid="vault-log-file">{status.value.logFile}</code>
            </dd>
          </dl>
          {status.value.key?.reminder && (
            <Note kind="info">
              <p>{status.value.key.reminder}</p>
            </Note>
          )}
          {status.value.problems.length > 0 ? (
            <Note kind="warn">
              <p className="note-title">Problems</p>
              <ul>
                {status.value.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </Note>
          ) : (
            <p className="text-ok">No problems found.</p>
          )}
        </section>
      )}
      <VaultMaintenance onChanged={reload} />
      <div aria-live="polite">
        {verifying && <Spinner label="Opening every credential file…" />}
        {error && <ErrorNote error={error} />}
        {verify && (
          <section className="card" aria-labelledby="verify-h">
            <h2 id="verify-h" className="card-title">
              Verification
            </h2>
            <p className={verify.failures.length ? 'text-bad' : 'text-ok'} data-testid="verify-summary">
              {verify.ok} of {verify.total} credential{verify.total === 1 ? '' : 's'} open correctly.
            </p>
            {verify.failures.length > 0 && (
              <ul>
                {verify.failures.map((f) => (
                  <li key={f.file}>
                    <strong>{f.connectionId}</strong> ({f.userId}): {f.problem}
                  </li>
                ))}
              </ul>
            )}
            {verify.unlisted.length > 0 && (
              <p data-testid="verify-unlisted">
                {verify.unlisted.length} credential file{verify.unlisted.length === 1 ? ' has' : 's have'} no connection (kept; <code>sophon vault recover</code> lists{' '}
                {verify.unlisted.length === 1 ? 'it' : 'them'} again): {verify.unlisted.map((u) => `${u.userId}/${u.connectionId}`).join(', ')}
              </p>
            )}
            {verify.strays.length > 0 && <p>Files that are not credentials, left alone: {verify.strays.join(', ')}</p>}
            {verify.tempsRemoved.length > 0 && <p>Removed {verify.tempsRemoved.length} temporary file(s) left by an interrupted write.</p>}
          </section>
        )}
        {checkingTrail && <Spinner label="Walking the audit trail…" />}
        {trailError && <ErrorNote error={trailError} />}
        {trail && (
          <section className="card" aria-labelledby="trail-h">
            <h2 id="trail-h" className="card-title">
              Audit trail
            </h2>
            <p className={trail.ok ? 'text-ok' : 'text-bad'} data-testid="trail-summary">
              {trail.ok ? 'Intact: ' : 'Broken: '}
              {trail.rows} row{trail.rows === 1 ? '' : 's'} chained{trail.lastId === null ? '' : ` up to row ${trail.lastId}`}.
            </p>
            {trail.break && (
              <Note kind="warn">
                <p className="note-title">
                  Row {trail.break.rowId}: {trail.break.kind.replace('_', ' ')}
                </p>
                <p>{trail.break.message}</p>
              </Note>
            )}
            <p>
              Head kept outside the database:{' '}
              {trail.head.state === 'verified' ? `verified at row ${trail.head.rowId}` : `${trail.head.state.replace('_', ' ')}${trail.head.detail ? ` (${trail.head.detail})` : ''}`}
            </p>
          </section>
        )}
      </div>
    </>
  );
}
