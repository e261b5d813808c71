import { isSophonError, SophonError } from '../errors';
import { oauthClientSecretName, type SystemSecrets } from '../vault/system-secrets';
import type { Settings } from './settings';
import { readSettingsJson, writeSettings, type SettingsEdit } from './settings-writer';

/**
 * `Sophon.OAuth.<service>` in appsettings.json holds the client id and, when the service's client has a
 * secret, only `"ClientSecretInVault": true`: the secret itself is a vault record
 * (`vault/system/oauth-client-<service>.vault`). A plaintext `ClientSecret` (written by older versions or
 * by hand) is moved into the vault when the core opens.
 */

export interface OAuthClientChange {
  clientId: string | null;
  clientSecret?: string;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Sophon.OAuth` of the file as it is now (every key kept, known or not), for an edit. */
async function oauthSection(file: string): Promise<JsonObject> {
  const root = await readSettingsJson(file);
  const sophon = isObject(root.Sophon) ? root.Sophon : {};
  return isObject(sophon.OAuth) ? sophon.OAuth : {};
}

const oauthEdit = (serviceId: string, entry: JsonObject | undefined): SettingsEdit => ({ path: ['Sophon', 'OAuth', serviceId], value: entry });

/** Whether a client secret is stored for the service (in the vault, or still in the file awaiting its move). */
export function clientSecretSet(settings: Settings, serviceId: string): boolean {
  const reg = settings.Sophon.OAuth[serviceId];
  return reg !== undefined && (reg.ClientSecret !== undefined || reg.ClientSecretInVault === true);
}

/** The client secret for a service's OAuth client, or undefined when it has none (a public client). */
export async function clientSecretFor(settings: Settings, settingsFile: string, secrets: Pick<SystemSecrets, 'get'>, serviceId: string): Promise<string | undefined> {
  const reg = settings.Sophon.OAuth[serviceId];
  if (!reg) return undefined;
  // Not yet moved (the vault key was unavailable when the core opened): still usable, never lost.
  if (reg.ClientSecret !== undefined) return reg.ClientSecret;
  if (reg.ClientSecretInVault !== true) return undefined;
  const secret = await secrets.get(oauthClientSecretName(serviceId));
  if (secret === null) {
    throw new SophonError(
      'settings_invalid',
      `Sophon.OAuth.${serviceId} in ${settingsFile} says a client secret is stored, but the vault has none for it: set the client secret again (Settings, or settings.set).`,
    );
  }
  return secret;
}

/**
 * Sets or removes `Sophon.OAuth.<service>`, keeping every other key of the file (the settings writer:
 * atomic, 0600, validated),
 * then updates the open core's settings so the next sign-in uses it. A new client secret goes into the
 * vault before the file says it is there; a removed one leaves the vault after the file stops saying so,
 * so a crash in between never leaves the file pointing at nothing.
 */
export async function updateOAuthClients(
  settingsFile: string,
  settings: Settings,
  secrets: Pick<SystemSecrets, 'put' | 'delete'>,
  changes: Record<string, OAuthClientChange>,
): Promise<void> {
  const oauth = await oauthSection(settingsFile);
  const edits: SettingsEdit[] = [];
  const removed: string[] = [];
  const next: Record<string, Settings['Sophon']['OAuth'][string]> = {};
  for (const [serviceId, change] of Object.entries(changes)) {
    if (change.clientId === null) {
      edits.push(oauthEdit(serviceId, undefined));
      removed.push(serviceId);
      continue;
    }
    const previous = isObject(oauth[serviceId]) ? oauth[serviceId] : {};
    const entry: JsonObject = { ...previous, ClientId: change.clientId };
    if (change.clientSecret !== undefined) {
      await secrets.put(oauthClientSecretName(serviceId), change.clientSecret);
      delete entry.ClientSecret;
      entry.ClientSecretInVault = true;
    }
    // Otherwise the secret is write-only: changing only the client id keeps whatever secret is stored.
    edits.push(oauthEdit(serviceId, entry));
    const current = { ...settings.Sophon.OAuth[serviceId], ClientId: change.clientId };
    if (change.clientSecret !== undefined) {
      delete current.ClientSecret;
      current.ClientSecretInVault = true;
    }
    next[serviceId] = current;
  }
  await writeSettings(settingsFile, edits);
  Object.assign(settings.Sophon.OAuth, next);
  for (const serviceId of removed) {
    delete settings.Sophon.OAuth[serviceId];
    await secrets.delete(oauthClientSecretName(serviceId));
  }
}

/**
 * Moves every plaintext `ClientSecret` in appsettings.json into the vault and out of the file (atomic
 * write; every other key kept). Idempotent: a crash after the vault write only means the next open
 * writes the same record again. When the vault key cannot be had, the file is left as it is and the
 * returned warning says why; the secret stays usable from the file meanwhile.
 */
export async function migrateOAuthClientSecrets(settingsFile: string, settings: Settings, secrets: Pick<SystemSecrets, 'put'>): Promise<string[]> {
  const pending = Object.entries(settings.Sophon.OAuth).filter(([, reg]) => reg.ClientSecret !== undefined);
  if (pending.length === 0) return [];
  const oauth = await oauthSection(settingsFile);
  const edits: SettingsEdit[] = [];
  const moved: string[] = [];
  const warnings: string[] = [];
  for (const [serviceId] of pending) {
    const entry = oauth[serviceId];
    if (!isObject(entry) || typeof entry.ClientSecret !== 'string') continue;
    try {
      await secrets.put(oauthClientSecretName(serviceId), entry.ClientSecret);
    } catch (err) {
      if (!isSophonError(err)) throw err;
      // A vault error's message names files and keys, never the value being written.
      warnings.push(
        `Sophon.OAuth.${serviceId}.ClientSecret in ${settingsFile} is still in plain text: it could not be moved into the vault (${err.message}) ` +
          'and will be moved the next time Sophon opens the vault.',
      );
      continue;
    }
    const { ClientSecret: _moved, ...kept } = entry;
    edits.push(oauthEdit(serviceId, { ...kept, ClientSecretInVault: true }));
    moved.push(serviceId);
  }
  if (moved.length === 0) return warnings;
  await writeSettings(settingsFile, edits);
  for (const serviceId of moved) {
    const reg = settings.Sophon.OAuth[serviceId]!;
    delete reg.ClientSecret;
    reg.ClientSecretInVault = true;
  }
  return warnings;
}

/**
 * Sets client registrations brought back by a restore (`ClientId`, and `ClientSecretInVault` when its
 * secret was restored into the vault first), keeping every other key of the file.
 */
export async function setRestoredOAuthClients(settingsFile: string, settings: Settings, clients: Record<string, { clientId: string; secretInVault: boolean }>): Promise<void> {
  if (Object.keys(clients).length === 0) return;
  const oauth = await oauthSection(settingsFile);
  const edits: SettingsEdit[] = [];
  for (const [serviceId, c] of Object.entries(clients)) {
    const previous = isObject(oauth[serviceId]) ? oauth[serviceId] : {};
    const entry: JsonObject = { ...previous, ClientId: c.clientId };
    delete entry.ClientSecret;
    if (c.secretInVault) entry.ClientSecretInVault = true;
    else delete entry.ClientSecretInVault;
    edits.push(oauthEdit(serviceId, entry));
    const current = { ...settings.Sophon.OAuth[serviceId], ClientId: c.clientId };
    delete current.ClientSecret;
    if (c.secretInVault) current.ClientSecretInVault = true;
    else delete current.ClientSecretInVault;
    settings.Sophon.OAuth[serviceId] = current;
  }
  await writeSettings(settingsFile, edits);
}
