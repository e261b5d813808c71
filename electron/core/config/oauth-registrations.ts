import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteFile, ensurePrivateDir, readFileIfExists } from '../fs/secure-fs';
import { parseJsonText, validate } from '../validation/parse';

/**
 * `config/oauth-registrations.json`: the clients Sophon registered itself as (RFC 7591), one per service.
 * Only what is not secret lives here; a client secret and the registration access token are vault
 * records (`vault/system/oauth-registered-secret-<service>.vault`, `…/oauth-registration-token-<service>.vault`).
 */
const RegistrationEntrySchema = z.looseObject({
  ClientId: z.string().min(1).max(500),
  /** The issuer that registered it: a connector pointed at another issuer registers again. */
  Issuer: z.string().min(1),
  RegisteredAt: z.string(),
  RegistrationClientUri: z.string().optional(),
  ClientSecretInVault: z.boolean().optional(),
  RegistrationTokenInVault: z.boolean().optional(),
});
const RegistrationsFileSchema = z.record(z.string(), RegistrationEntrySchema);

export type RegistrationEntry = z.output<typeof RegistrationEntrySchema>;

export function registrationsFile(configDir: string): string {
  return join(configDir, 'oauth-registrations.json');
}

export async function readRegistrations(file: string): Promise<Record<string, RegistrationEntry>> {
  const data = await readFileIfExists(file);
  if (data === null) return {};
  return validate(RegistrationsFileSchema, parseJsonText(data.toString('utf8'), `OAuth registrations file ${file}`), `OAuth registrations file ${file}`, 'settings_invalid');
}

/** Adds or replaces one service's registration (atomic write, 0600), keeping the others. */
export async function saveRegistration(configDir: string, serviceId: string, entry: RegistrationEntry): Promise<void> {
  const file = registrationsFile(configDir);
  const all = await readRegistrations(file);
  all[serviceId] = entry;
  await ensurePrivateDir(configDir);
  await atomicWriteFile(file, JSON.stringify(all, null, 2) + '\n');
}

export async function removeRegistration(configDir: string, serviceId: string): Promise<boolean> {
  const file = registrationsFile(configDir);
  const all = await readRegistrations(file);
  if (!(serviceId in all)) return false;
  delete all[serviceId];
  await atomicWriteFile(file, JSON.stringify(all, null, 2) + '\n');
  return true;
}
