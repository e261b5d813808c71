import { useMemo } from 'react';
import { useConnections, useQuery } from '../api';
import { href } from '../router';
import { ErrorNote, PageHeader, ServiceIcon, Spinner } from '../ui';
import { ConnectionTable } from './connections';

export const LLM_GROUP = 'LLM providers';

/** The LLM providers (OpenRouter, Anthropic, OpenAI, Gemini, Ollama) over the same connections and vault. */
export function ModelsScreen() {
  const { state } = useConnections();
  const [services] = useQuery('services.list', {});
  const providers = useMemo(() => (services.status === 'ready' ? services.value.services.filter((s) => s.group === LLM_GROUP) : []), [services]);
  const providerIds = useMemo(() => new Set(providers.map((p) => p.id)), [providers]);
  const connections = state.status === 'ready' ? state.value.filter((c) => providerIds.has(c.serviceId)) : [];
  return (
    <>
      <PageHeader title="Models" subtitle="The LLM providers your agent can use. Keys live in the same vault as every other connection." />
      {(services.status === 'loading' || state.status === 'loading') && <Spinner label="Loading…" />}
      {services.status === 'error' && <ErrorNote error={services.error} />}
      {state.status === 'error' && <ErrorNote error={state.error} />}
      {services.status === 'ready' && (
        <>
          <ul className="provider-grid" role="list" aria-label="Providers">
            {providers.map((p) => {
              const mine = connections.filter((c) => c.serviceId === p.id);
              const bad = mine.filter((c) => c.state !== 'active').length;
              return (
                <li key={p.id} className="provider-card card" data-service-id={p.id}>
                  <ServiceIcon name={p.name} serviceId={p.id} />
                  <div className="provider-text">
                    <h2 className="provider-name">{p.name}</h2>
                    <p className="muted">
                      {mine.length === 0 ? 'Not connected' : `${mine.length} connection${mine.length === 1 ? '' : 's'}`}
                      {bad > 0 && <span className="text-bad"> · {bad} need attention</span>}
                    </p>
                  </div>
                  <a className="btn btn-small" href={href.add(p.id)} aria-label={`Connect ${p.name}`}>
                    {mine.length ? 'Add another' : 'Connect'}
                  </a>
                </li>
              );
            })}
          </ul>
          <h2 className="section-title">Your model connections</h2>
          <ConnectionTable connections={connections} emptyText="No LLM provider connected yet." />
        </>
      )}
    </>
  );
}
