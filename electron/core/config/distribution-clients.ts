import { dirname, join } from 'node:path';
import { z } from 'zod';
import { readFileIfExists } from '../fs/secure-fs';
import { parseJsonText, validate } from '../validation/parse';

/**
 * `oauth-clients.json`: the OAuth client registrations whoever builds Sophon ships with it (from
 * `build/oauth-clients.json`, packaged by electron-builder as an extra resource). A person's own setting
 * (`Sophon.OAuth.<service>` in appsettings.json) wins over it. A client secret in it is copied into the
 * vault on first use and read from there afterwards; it is never written to a settings file.
 */
const DistributionClientSchema = z.strictObject(
  {
  clientId: z.string().min(1).max(500),
  /** Only for providers that require a secret even for desktop apps (it is not secret from the app's users). */
  clientSecret: z.string().min(1).max(500).optional(),
  /** How the provider was told to redirect: any loopback port, the fixed `http://127.0.0.1/callback`, or a custom scheme. */
  redirect: z.enum(['loopback', 'loopback-fixed', 'custom-scheme']).default('loopback'),
  notes: z.string().max(2000).optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; valid keys: clientId, clientSecret, redirect, notes` : undefined) },
);
const DistributionFileSchema = z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must be a service id'), DistributionClientSchema);

export type DistributionClient = z.output<typeof DistributionClientSchema>;

export const DISTRIBUTION_FILE_NAME = 'oauth-clients.json';

/**
 * Where the distribution file is: `SOPHON_OAUTH_CLIENTS_FILE` (a distributor's or a test's override), else
 * next to the packaged app's resources, else the repository's `build/` (running from source or dist/).
 */
export function distributionClientsFile(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SOPHON_OAUTH_CLIENTS_FILE) return env.SOPHON_OAUTH_CLIENTS_FILE;
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resources) return join(resources, DISTRIBUTION_FILE_NAME);
  const script = process.argv[1];
  // bin/sophon.cjs (the CLI) sits one folder below the repository root, where build/ is.
  return script ? join(dirname(dirname(script)), 'build', DISTRIBUTION_FILE_NAME) : null;
}

const cache = new Map<string, Record<string, DistributionClient>>();

/** The distribution file's registrations; none when there is no file. A malformed file is an error that names it. */
export async function readDistributionClients(file: string | null): Promise<Record<string, DistributionClient>> {
  if (file === null) return {};
  const cached = cache.get(file);
  if (cached) return cached;
  const data = await readFileIfExists(file);
  const clients = data === null ? {} : validate(DistributionFileSchema, parseJsonText(data.toString('utf8'), `OAuth client file ${file}`), `OAuth client file ${file}`, 'settings_invalid');
  cache.set(file, clients);
  return clients;
}

