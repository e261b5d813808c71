import { useId, useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { describeError, type ErrorText } from '../errors';
import { href, navigate } from '../router';
import { ErrorNote, Spinner } from '../ui';
import './oauth-setup.css';

/*
 * "Connect by URL": an OAuth issuer, or an API that asks for OAuth the way remote MCP servers do (RFC
 * 9728), becomes a service (`services.discover`, the core path of `connect add --issuer/--url`); the add
 * form then opens for it and starts signing in at once. Where the server registers Sophon itself, that is
 * all; where it refuses, the form falls back to the setup panel with the server's answer.
 */

let startOnOpen: string | null = null;

/** Whether the add form of this service should start signing in as soon as it opens (once). */
export function takeStartOnOpen(serviceId: string): boolean {
  if (startOnOpen !== serviceId) return false;
  startOnOpen = null;
  return true;
}

/** A service just discovered that the catalog shown may not list yet. */
export const justDiscovered = (serviceId: string): boolean => startOnOpen === serviceId;

export function ConnectByUrl() {
  const { api } = useApi();
  const [error, setError] = useState<ErrorText | null>(null);
  const [busy, setBusy] = useState(false);
  const urlId = useId();
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const url = String(data.get('url') ?? '').trim();
    const kind = data.get('kind') === 'api' ? 'api' : 'issuer';
    setBusy(true);
    setError(null);
    try {
      const { service } = await api['services.discover']({ url, kind });
      startOnOpen = service.id;
      navigate(href.add(service.id));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }
  return (
    <section className="card connect-by-url" aria-label="Connect by URL">
      <h2 className="oauth-setup-title">Connect by URL</h2>
      <p className="help">A service that is not in the catalog but signs in with OAuth: give its sign-in server (issuer), or the address of its API (for example a remote MCP server). Sophon finds the rest.</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <div className="field">
          <label htmlFor={urlId}>URL</label>
          <input id={urlId} name="url" type="url" required placeholder="https://login.example.com" autoComplete="off" spellCheck={false} />
        </div>
        <fieldset className="connect-by-url-kinds">
          <legend className="visually-hidden">What the URL is</legend>
          <label>
            <input type="radio" name="kind" value="issuer" defaultChecked /> Sign-in server (OAuth / OpenID issuer)
          </label>
          <label>
            <input type="radio" name="kind" value="api" /> API or MCP server
          </label>
        </fieldset>
        {error && <ErrorNote error={error} />}
        {busy && <Spinner label="Reading the server’s OAuth configuration…" />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Find and connect
          </button>
        </div>
      </form>
    </section>
  );
}
