// The "Add connection" catalog: every service, grouped (most used groups first), searchable by name and
// by the words people use for it (service-search.ts), with a badge on OAuth services that need setting up.
import { useDeferredValue, useMemo, useState } from 'react';
import type { ServiceSummary } from '../../../shared/contract';
import { href } from '../router';
import { catalogGroups, needsSetup } from '../service-search';
import { Note, PageHeader, ServiceIcon } from '../ui';
import '../connections.css';

export const METHOD_WORDS: Record<ServiceSummary['authMethod'], string> = {
  oauth2: 'Sign in with your browser',
  api_key: 'API key',
  bearer: 'Token',
  basic: 'Username and password',
  smtp_imap: 'Mail server login',
  webhook_url: 'Webhook URL',
  none: 'No credential',
};

export function CatalogPicker({ services, problems, onlyGroup }: { services: ServiceSummary[]; problems: { file: string; message: string }[]; onlyGroup?: string }) {
  const [query, setQuery] = useState('');
  const q = useDeferredValue(query.trim());
  const groups = useMemo(() => catalogGroups(services, q, onlyGroup), [services, q, onlyGroup]);
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
          <input type="search" autoFocus placeholder="Search services (e.g. gpt, mail, calendar)" value={query} onChange={(e) => setQuery(e.target.value)} />
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
                  <ServiceIcon name={s.name} serviceId={s.id} />
                  <span className="catalog-text">
                    <span className="catalog-name">{s.name}</span>
                    <span className="catalog-desc">{s.description || METHOD_WORDS[s.authMethod]}</span>
                  </span>
                  {needsSetup(s) && (
                    <span className="catalog-badge" title={`Sophon has no OAuth client registered at ${s.name} yet: it is set up once, then anyone can sign in.`}>
                      Needs setup
                    </span>
                  )}
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

