import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ServiceSummary } from '../../../shared/contract';
import { useApi } from '../api';
import { describeError, type ErrorText } from '../errors';
import { ErrorNote } from '../ui';
import './oauth-setup.css';

/** Copies a value that is not a secret (a redirect URI, a device code) and says so for a moment. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard (an old browser, a denied permission): the value is on screen to select by hand.
      setCopied('failed');
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setCopied(null), 2000);
  }
  return (
    <button type="button" className="btn btn-small copy-button" onClick={() => void copy()} aria-label={label}>
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Select and copy it' : 'Copy'}
    </button>
  );
}

/**
 * The guided setup for an OAuth service Sophon has no client for: where to register, what to choose, the
 * redirect URI(s) to paste, the scopes; then the client id (and the secret where the service needs one),
 * saved with `oauth.setup` (the secret to the vault, never shown again); then `onReady` goes on to sign in.
 * `problem` is why the panel is shown when a sign-in found no client (a server that refused registration).
 */
export function OAuthSetupPanel({ service, problem, onReady }: { service: ServiceSummary; problem?: ErrorText | null; onReady: () => void }) {
  const { api } = useApi();
  const setup = service.oauthSetup;
  const [error, setError] = useState<ErrorText | null>(null);
  const [busy, setBusy] = useState(false);
  const idId = useId();
  const secretId = useId();
  if (!setup) return null;
  const needsSecret = setup.secretRequired && !setup.clientSecretSet;

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const clientId = String(data.get('clientId') ?? '').trim();
    const clientSecret = String(data.get('clientSecret') ?? '');
    // The secret never enters React state; its field is emptied at once.
    form.querySelectorAll<HTMLInputElement>('input[type=password]').forEach((i) => (i.value = ''));
    setBusy(true);
    setError(null);
    try {
      await api['oauth.setup']({ serviceId: service.id, clientId, ...(clientSecret ? { clientSecret } : {}) });
      onReady();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card oauth-setup" aria-label={`Set up ${service.name}`}>
      <h2 className="oauth-setup-title">Set up sign-in with {service.name}</h2>
      {problem && <ErrorNote error={problem} />}
      <p className="help">
        Sophon needs to be registered at {service.name} once (an OAuth client). Whoever built this copy of Sophon did not ship one, so register it yourself:
      </p>
      <ol className="oauth-setup-steps">
        <li>
          {setup.consoleUrl ? (
            <>
              Open{' '}
              <a href={setup.consoleUrl} target="_blank" rel="noopener noreferrer">
                {service.name}’s developer console
              </a>{' '}
              <span className="muted">({setup.consoleUrl})</span>.
            </>
          ) : (
            <>Open {service.name}’s developer console, where apps that sign in with OAuth are registered.</>
          )}
        </li>
        <li>
          Choose: <strong>{setup.appType ?? 'a native (desktop) app, public client'}</strong>.
        </li>
        <li>
          {setup.redirectUris.length === 0 ? (
            <>Redirect URI: nothing to enter — this app type accepts Sophon’s loopback redirect on any port.</>
          ) : (
            <>
              Redirect URI{setup.redirectUris.length > 1 ? 's' : ''} to enter{' '}
              {setup.redirect === 'loopback-fixed-port' ? '(exactly as shown: Sophon always listens on this port)' : '(Sophon picks the port per sign-in; the service must accept any port)'}:
              <ul className="oauth-setup-uris">
                {setup.redirectUris.map((uri) => (
                  <li key={uri}>
                    <code data-redirect-uri>{uri}</code> <CopyButton value={uri} label={`Copy the redirect URI ${uri}`} />
                  </li>
                ))}
              </ul>
            </>
          )}
        </li>
        {setup.steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
        <li>
          Scopes: {setup.scopes.length ? setup.scopes.map((s) => <code key={s} className="oauth-setup-scope">{s}</code>) : <span className="muted">none (access is chosen during consent)</span>}
        </li>
      </ol>
      {setup.verified && <p className="help oauth-setup-verified">Checked: {setup.verified}</p>}
      <form className="form" onSubmit={save} aria-label={`OAuth client for ${service.name}`}>
        <div className="field">
          <label htmlFor={idId}>Client id</label>
          <input id={idId} name="clientId" required autoComplete="off" spellCheck={false} />
        </div>
        {setup.secretRequired && (
          <div className="field">
            <label htmlFor={secretId}>
              Client secret {!needsSecret && <span className="optional">(one is stored; leave empty to keep it)</span>}
            </label>
            <input id={secretId} name="clientSecret" type="password" required={needsSecret} autoComplete="new-password" spellCheck={false} aria-describedby={`${secretId}-help`} />
            <p id={`${secretId}-help`} className="help">
              Kept encrypted in the vault, never in the settings file, and never shown again.
            </p>
          </div>
        )}
        {error && <ErrorNote error={error} />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Save and sign in
          </button>
        </div>
      </form>
    </section>
  );
}
