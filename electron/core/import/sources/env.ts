import { ghServiceFor } from './gh';
import type { FoundLogin, LoginSource, SourceEnv, SourceReport } from '../types';

/** Variables offered as their own, clearly labelled source: copied (an environment cannot be re-read later). */
const ENV_KEYS: { name: string; serviceId: string; host: string | null }[] = [
  { name: 'GH_TOKEN', serviceId: 'github-pat', host: 'github.com' },
  { name: 'GITHUB_TOKEN', serviceId: 'github-pat', host: 'github.com' },
  { name: 'ANTHROPIC_API_KEY', serviceId: 'anthropic', host: null },
  { name: 'OPENAI_API_KEY', serviceId: 'openai', host: null },
];

export function scanEnv(se: SourceEnv): { report: SourceReport; logins: FoundLogin[] } {
  const logins: FoundLogin[] = [];
  for (const k of ENV_KEYS) {
    const value = se.env[k.name]?.trim();
    if (!value) continue;
    logins.push({
      key: `env:${k.name}`,
      source: 'env',
      store: `$${k.name}`,
      storage: 'environment',
      serviceId: k.host ? ghServiceFor(k.host).serviceId : k.serviceId,
      account: null,
      host: k.host,
      plan: null,
      scopes: [],
      expiresAt: null,
      defaultMode: 'copy',
      copyAllowed: true,
      policy: null,
      fields: {},
      warnings: [],
      secret: value,
    });
  }
  const report: SourceReport = logins.length
    ? { source: 'env', status: 'ok', messages: [] }
    : { source: 'env', status: 'missing', messages: [`None of ${ENV_KEYS.map((k) => k.name).join(', ')} is set.`] };
  return { report, logins };
}

/** Environment variables: copied, never linked (whoever started Sophon set them; they cannot be re-read later). */
export const envSource: LoginSource = {
  kind: 'env',
  name: 'environment variable',
  owner: 'the environment',
  refresh: 'set the variable again and import',
  expiredName: 'environment variable',
  from: 'env',
  // They belong to whoever started the app, so the start-up look skips them.
  onStart: false,
  labelFromStore: true,
  scan: async (se) => scanEnv(se),
};
