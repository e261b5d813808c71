import { useDeferredValue, useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import type { EventPayload, ServiceSummary } from '../../../shared/contract';
import { useApi, useConnections, useEvent, useQuery } from '../api';
import { describeError, type ErrorText } from '../errors';
import { setFlash } from '../flash';
import { outcomeText } from '../outcome';
import { href, navigate } from '../router';
import { ErrorNote, Note, PageHeader, ServiceIcon, Spinner } from '../ui';
import { ConnectByUrl, justDiscovered, takeStartOnOpen } from './connect-by-url';
import { DeviceSignIn } from './device-signin';
import { OAuthSetupPanel } from './oauth-setup';

const METHOD_WORDS: Record<ServiceSummary['authMethod'], string> = {
  oauth2: 'Sign in with your browser',
  api_key: 'API key',
  bearer: 'Token',
  basic: 'Username and password',
  smtp_imap: 'Mail server login',
  webhook_url: 'Webhook URL',
  none: 'No credential',
};

export function AddScreen({ serviceId, onlyGroup, isAdmin = false }: { serviceId: string | null; onlyGroup?: string; isAdmin?: boolean }) {
  // Asked again when the service changes: Connect by URL adds one to the catalog.
  const [services, reloadServices] = useQuery('services.list', {}, [serviceId]);
  if (services.status === 'loading') return <Spinner label="Loading the catalog…" />;
  if (services.status === 'error') return <ErrorNote error={services.error} />;
  const service = serviceId ? services.value.services.find((s) => s.id === serviceId) : undefined;
  if (serviceId && !service && justDiscovered(serviceId)) return <Spinner label="Loading the catalog…" />;
  if (serviceId && !service) {
    return (
      <>
        <PageHeader title="Add connection" />
        <ErrorNote error={{ code: 'not_found', title: `There is no service “${serviceId}” in the catalog.`, detail: '' }} />
        <a href={href.add()}>Back to the catalog</a>
      </>
    );
  }
  if (service) return <AddForm key={service.id} service={service} isAdmin={isAdmin} onClientSet={reloadServices} />;
  return (
    <>
      <CatalogPicker services={services.value.services} problems={services.value.connectorProblems} onlyGroup={onlyGroup} />
      {isAdmin && !onlyGroup && <ConnectByUrl />}
    </>
  );
}

function CatalogPicker({ services, problems, onlyGroup }: { services: ServiceSummary[]; problems: { file: string; message: string }[]; onlyGroup?: string }) {
  const [query, setQuery] = useState('');
  const q = useDeferredValue(query.trim().toLowerCase());
  const groups = useMemo(() => {
    const m = new Map<string, ServiceSummary[]>();
    for (const s of services) {
      if (onlyGroup && s.group !== onlyGroup) continue;
      if (q && !`${s.name} ${s.id} ${s.group} ${s.description}`.toLowerCase().includes(q)) continue;
      const list = m.get(s.group) ?? [];
      list.push(s);
      m.set(s.group, list);
    }
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [services, q, onlyGroup]);
  const count = groups.reduce((n, [, l]) => n + l.length, 0);
  return (
    <>
      <PageHeader title="Add connection" subtitle="Pick the service to connect." actions={<a className="btn" href={href.connections}>Cancel</a>} />
      {problems.length > 0 && (
        <Note kind="warn">
          <p className="note-title">Some of your connector files have problems and are left out:</p>
          <ul>
            {problems.map((p) => (
              <li key={p.file}>
                <code>{p.file}</code>: {p.message}
              </li>
            ))}
          </ul>
        </Note>
      )}
      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">Search services</span>
          <input type="search" autoFocus placeholder="Search services" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <p className="summary" role="status" aria-live="polite">
          {count} service{count === 1 ? '' : 's'}
        </p>
      </div>
      {groups.length === 0 && <p className="muted">No service matches “{query}”.</p>}
      {groups.map(([group, list]) => (
        <section key={group} className="group" aria-label={group}>
          <h2 className="group-title">{group}</h2>
          <ul className="catalog" role="list">
            {list.map((s) => (
              <li key={s.id}>
                <a className="catalog-item" href={href.add(s.id)} data-service-id={s.id}>
                  <ServiceIcon name={s.name} />
                  <span className="catalog-text">
                    <span className="catalog-name">{s.name}</span>
                    <span className="catalog-desc">{s.description || METHOD_WORDS[s.authMethod]}</span>
                  </span>
                  <span className="catalog-method">{METHOD_WORDS[s.authMethod]}</span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function FieldInput({ field, name }: { field: ServiceSummary['fields'][number]; name: string }) {
  const id = useId();
  const helpId = `${id}-help`;
  const common = { id, name, required: field.required, 'aria-describedby': field.help ? helpId : undefined };
  let input;
  if (field.kind === 'enum' && field.options) {
    input = (
      <select {...common} defaultValue={field.default ?? field.options[0]}>
        {field.options.map((o) => (
          <option key={o} value={o}>
            {o === 'tls' ? 'TLS' : o === 'starttls' ? 'STARTTLS' : o === 'none' ? 'None (unencrypted)' : o}
          </option>
        ))}
      </select>
    );
  } else {
    const type = field.secret ? 'password' : field.kind === 'url' ? 'url' : field.kind === 'email' ? 'email' : field.kind === 'port' ? 'number' : 'text';
    input = (
      <input
        {...common}
        type={type}
        defaultValue={field.secret ? undefined : (field.default ?? undefined)}
        placeholder={field.kind === 'host' ? 'mail.example.com' : undefined}
        autoComplete={field.secret ? 'new-password' : 'off'}
        spellCheck={false}
        {...(field.kind === 'port' ? { min: 1, max: 65535 } : {})}
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {field.label}
        {!field.required && <span className="optional"> (optional)</span>}
      </label>
      {input}
      {field.help && (
        <p id={helpId} className="help">
          {field.help}
        </p>
      )}
    </div>
  );
}

/** Scopes as an editable list (one per line); used by add and re-auth. */
export function ScopesEditor({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>Scopes</label>
      <textarea id={id} rows={4} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} aria-describedby={`${id}-help`} />
      <p id={`${id}-help`} className="help">
        One per line. Add a scope to ask for more access; the service shows you what it grants.
      </p>
    </div>
  );
}

export const parseScopes = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** Progress of a browser sign-in (OAuth): what is happening, and the address in case the browser did not open. */
export function OAuthProgress({ progress, serviceName }: { progress: EventPayload<'oauth.progress'> | null; serviceName: string }) {
  return (
    <div className="oauth-progress" role="status" aria-live="polite">
      <Spinner label={`Waiting for you to finish signing in to ${serviceName} in your browser…`} />
      {progress && /^https?:\/\//i.test(progress.authorizationUrl) && (
        <p>
          Browser did not open?{' '}
          <a href={progress.authorizationUrl} target="_blank" rel="noopener noreferrer" className="oauth-link">
            Open the sign-in page
          </a>
        </p>
      )}
    </div>
  );
}

function AddForm({ service, isAdmin, onClientSet }: { service: ServiceSummary; isAdmin: boolean; onClientSet: () => void }) {
  const { api } = useApi();
  const { upsert } = useConnections();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | null>(null);
  const [progress, setProgress] = useState<EventPayload<'oauth.progress'> | null>(null);
  const [scopes, setScopes] = useState(service.defaultScopes.join('\n'));
  const labelId = useId();
  const secretId = useId();
  const testId = useId();
  const isOAuth = service.authMethod === 'oauth2';
  const takesSecret = !isOAuth && service.authMethod !== 'none';
  const formRef = useRef<HTMLFormElement>(null);
  // A sign-in that found no client (a server that refused to register Sophon): the setup panel, with why.
  const [setupProblem, setSetupProblem] = useState<ErrorText | null>(null);
  const setup = service.oauthSetup;
  const showSetup = !busy && isOAuth && isAdmin && setup !== null && (setupProblem !== null || (service.oauthClientConfigured === false && setup.client === 'none'));
  // Connect by URL opens this form to sign in straight away.
  useEffect(() => {
    if (takeStartOnOpen(service.id)) formRef.current?.requestSubmit();
  }, [service.id]);

  // Set before the call goes out: the first progress event can arrive before React re-renders.
  const waiting = useRef(false);
  useEvent('oauth.progress', (p) => {
    if (waiting.current && p.serviceId === service.id) setProgress(p);
  });

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    // Secrets are read straight from the form and never enter React state; the fields are cleared at once.
    const data = new FormData(form);
    const secretInputs = form.querySelectorAll<HTMLInputElement>('input[type=password]');
    const str = (name: string) => {
      const v = data.get(name);
      return typeof v === 'string' ? v : '';
    };
    const fields: Record<string, string> = {};
    const secretFields: Record<string, string> = {};
    for (const f of service.fields) {
      const v = str(`field.${f.name}`).trim();
      if (!v) continue;
      if (f.secret) secretFields[f.name] = v;
      else fields[f.name] = v;
    }
    const label = str('label').trim();
    const device = isOAuth && (e.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'device';
    const secret = takesSecret ? str('secret') : '';
    const test = data.get('test') === 'on';
    secretInputs.forEach((i) => (i.value = ''));
    setError(null);
    setProgress(null);
    setBusy(true);
    waiting.current = true;
    try {
      const result = await api['connections.add']({
        serviceId: service.id,
        ...(label ? { label } : {}),
        ...(secret ? { secret } : {}),
        ...(Object.keys(fields).length ? { fields } : {}),
        ...(Object.keys(secretFields).length ? { secretFields } : {}),
        ...(isOAuth ? { scopes: parseScopes(scopes) } : {}),
        ...(device ? { device } : {}),
        test,
      });
      upsert(result.connection);
      setFlash(
        result.test
          ? { kind: result.test.status === 'ok' ? 'ok' : 'warn', text: `Connected “${result.connection.label}”. ${outcomeText(result.test)}` }
          : { kind: 'ok', text: `Connected “${result.connection.label}” (not tested).` },
      );
      navigate(href.connection(result.connection.id));
    } catch (err) {
      const described = describeError(err);
      // No client to sign in as: the guided setup takes over, showing the server's own answer.
      if (isOAuth && isAdmin && described.code === 'settings_invalid') setSetupProblem({ ...described, title: `Sophon has no OAuth client to sign in to ${service.name} with.` });
      else setError(described);
      setBusy(false);
    } finally {
      waiting.current = false;
    }
  }

  return (
    <>
      <PageHeader
        title={`Connect ${service.name}`}
        subtitle={service.description || undefined}
        actions={
          <a className="btn" href={href.add()}>
            Back to the catalog
          </a>
        }
      />
      {showSetup && (
        <OAuthSetupPanel
          service={service}
          problem={setupProblem}
          onReady={() => {
            onClientSet();
            setSetupProblem(null);
            formRef.current?.requestSubmit();
          }}
        />
      )}
      {isOAuth && service.oauthClientConfigured === false && setup?.client === 'none' && !isAdmin && (
        <Note kind="warn">
          <p className="note-title">Sophon has no OAuth client id for {service.name} yet.</p>
          <p>
            An admin sets it (here, or as <code>Sophon.OAuth.{service.id}.ClientId</code> in Sophon’s settings file: the id of the app registered at {service.name}), then try again.
          </p>
        </Note>
      )}
      <form ref={formRef} className="card form" onSubmit={submit} aria-busy={busy} noValidate={false} hidden={showSetup}>
        <div className="field">
          <label htmlFor={labelId}>
            Name <span className="optional">(optional)</span>
          </label>
          <input id={labelId} name="label" type="text" maxLength={80} placeholder="e.g. Work, Personal" autoComplete="off" />
          <p className="help">To tell several {service.name} connections apart.</p>
        </div>
        {service.fields.map((f) => (
          <FieldInput key={f.name} field={f} name={`field.${f.name}`} />
        ))}
        {takesSecret && (
          <div className="field">
            <label htmlFor={secretId}>{service.secretLabel ?? 'Secret'}</label>
            <input id={secretId} name="secret" type="password" required autoComplete="new-password" spellCheck={false} aria-describedby={`${secretId}-help`} />
            <p id={`${secretId}-help`} className="help">
              Stored encrypted in the vault. Sophon never shows it again — only its last four characters.
            </p>
          </div>
        )}
        {isOAuth && <ScopesEditor id={`${labelId}-scopes`} value={scopes} onChange={setScopes} />}
        {service.authMethod !== 'webhook_url' && (
          <div className="field field-check">
            <input id={testId} name="test" type="checkbox" defaultChecked />
            <label htmlFor={testId}>Test the connection before saving it</label>
          </div>
        )}
        {error && <ErrorNote error={error} />}
        {busy && isOAuth && (progress?.device ? <DeviceSignIn device={progress.device} serviceName={service.name} /> : <OAuthProgress progress={progress} serviceName={service.name} />)}
        {busy && !isOAuth && <Spinner label="Connecting…" />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {isOAuth ? `Sign in to ${service.name}` : 'Connect'}
          </button>
          {isOAuth && setup?.deviceFlow && (
            <button type="submit" name="how" value="device" className="btn" disabled={busy}>
              Sign in with a code
            </button>
          )}
          <a className="btn btn-quiet" href={href.connections}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
