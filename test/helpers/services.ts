import { ServiceSchema, type CatalogEntry, type ServiceDefinitionInput } from '../../electron/core/catalog/schema';
import type { CatalogView } from '../../electron/core/connections/connection-service';

/** A catalog of services validated by the real schema, for tests that must point a service at a local server. */
export function catalogOf(...services: ServiceDefinitionInput[]): () => Promise<CatalogView> {
  const entries: CatalogEntry[] = services.map((s) => ({ service: ServiceSchema.parse(s), source: { kind: 'builtin' } }));
  return async () => ({ entries, problems: [] });
}

export function bearerService(id: string, baseUrl: string): ServiceDefinitionInput {
  const host = new URL(baseUrl).host;
  return {
    id,
    name: `Test ${id}`,
    group: 'Generic',
    auth: { method: 'bearer', secretLabel: 'Token' },
    apiBaseUrl: baseUrl,
    allowedHosts: [host],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: { kind: 'http', method: 'GET', path: '/user' },
    local: true,
  };
}
