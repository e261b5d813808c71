import type { ServiceDefinition } from '../catalog/schema';
import { SophonError } from '../errors';
import type { SystemSecrets } from '../vault/system-secrets';
import { clientSecretSet, updateOAuthClients } from './oauth-clients';
import type { Settings } from './settings';

export interface OAuthSetupInput {
  clientId: string;
  /** Write-only: it goes into the vault, never into the settings file or back to a caller. */
  clientSecret?: string;
}

/**
 * The last step of the guided setup (CLI `oauth setup`, the app's setup panel, `oauth.setup`): the client
 * a person registered at the service becomes `Sophon.OAuth.<service>` (its secret a vault record).
 * Checked against the catalog first, so a service that needs a secret is never left with only an id.
 */
export async function setUpOAuthClient(
  target: { settingsFile: string; settings: Settings; secrets: Pick<SystemSecrets, 'put' | 'delete'> },
  service: ServiceDefinition,
  input: OAuthSetupInput,
): Promise<void> {
  if (service.auth.method !== 'oauth2') throw new SophonError('invalid_input', `${service.name} does not sign in with OAuth; there is no client to set up.`);
  const clientId = input.clientId.trim();
  if (!clientId || /\s/.test(clientId)) throw new SophonError('invalid_input', 'A client id is one word without spaces (copy it from the console).');
  const secret = input.clientSecret?.replace(/\r?\n$/, '');
  if (secret !== undefined && /[\r\n]/.test(secret)) throw new SophonError('invalid_input', 'The client secret must be one line.');
  if (service.auth.oauth?.clientSecretRequired && !secret && !clientSecretSet(target.settings, service.id)) {
    throw new SophonError('invalid_input', `${service.name} needs the client secret too: its console shows it next to the client id.`);
  }
  await updateOAuthClients(target.settingsFile, target.settings, target.secrets, { [service.id]: { clientId, ...(secret ? { clientSecret: secret } : {}) } });
}
