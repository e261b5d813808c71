import { clientSecretFor } from '../config/oauth-clients';
import type { Settings } from '../config/settings';
import type { ServiceDefinition } from '../catalog/schema';
import { SophonError } from '../errors';
import type { OAuthClient } from '../oauth/client';
import type { OAuthTokenSet } from '../oauth/tokens';
import type { DeviceAuthorization } from '../oauth/device';
import type { SystemSecrets } from '../vault/system-secrets';

/** How the door shows a sign-in: it opens (or prints) the URL, or shows a device code. */
export interface OAuthInteraction {
  scopes?: string[];
  device?: boolean;
  openUrl?: (url: string) => Promise<void>;
  onDeviceCode?: (code: Pick<DeviceAuthorization, 'userCode' | 'verificationUri' | 'verificationUriComplete'>) => void;
  timeoutMs?: number;
}

/** The client Sophon is registered as at a service, from settings; a missing one names the setting. */
export async function oauthClientFor(settings: Settings, settingsFile: string, service: ServiceDefinition, secrets: Pick<SystemSecrets, 'get'>): Promise<OAuthClient> {
  const reg = settings.Sophon.OAuth[service.id];
  if (!reg) {
    throw new SophonError(
      'settings_invalid',
      `Sophon.OAuth.${service.id}.ClientId is not set in ${settingsFile}: register Sophon as a desktop (native) app at ${service.name} and put its client id there.`,
    );
  }
  // openid-client is loaded only by commands that talk OAuth.
  const { createOAuthClient } = await import('../oauth/client');
  const clientSecret = await clientSecretFor(settings, settingsFile, secrets, service.id);
  return createOAuthClient(service, { clientId: reg.ClientId, clientSecret });
}

/** Runs the sign-in the person chose: the browser with a loopback redirect, or a device code. */
export async function signIn(client: OAuthClient, service: ServiceDefinition, how: OAuthInteraction): Promise<OAuthTokenSet> {
  const scopes = how.scopes ?? service.defaultScopes;
  if (how.device) {
    const { startDeviceAuthorization } = await import('../oauth/device');
    const device = await startDeviceAuthorization(client, { scopes });
    how.onDeviceCode?.(device);
    return device.wait();
  }
  const { authorizeWithBrowser } = await import('../oauth/authorize');
  return authorizeWithBrowser(client, { scopes, openUrl: how.openUrl, timeoutMs: how.timeoutMs });
}
