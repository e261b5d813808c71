import { clientSecretFor } from '../config/oauth-clients';
import type { Settings } from '../config/settings';
import type { ServiceDefinition } from '../catalog/schema';
import { SophonError } from '../errors';
import type { OAuthClient, OAuthClientRegistration, ResolvedServer } from '../oauth/client';
import type { OAuthTokenSet } from '../oauth/tokens';
import type { DeviceAuthorization } from '../oauth/device';
import { distributionSecretName, registeredSecretName, registrationTokenName, type SystemSecrets } from '../vault/system-secrets';
import { readDistributionClients } from '../config/distribution-clients';
import { LOOPBACK_REDIRECT } from '../config/oauth-redirect';
import { readRegistrations, registrationsFile, saveRegistration } from '../config/oauth-registrations';

/** How the door shows a sign-in: it opens (or prints) the URL, or shows a device code. */
export interface OAuthInteraction {
  scopes?: string[];
  device?: boolean;
  openUrl?: (url: string) => Promise<void>;
  onDeviceCode?: (code: Pick<DeviceAuthorization, 'userCode' | 'verificationUri' | 'verificationUriComplete' | 'expiresAt'>) => void;
  timeoutMs?: number;
}

export interface OAuthClientSources {
  settings: Settings;
  settingsFile: string;
  configDir: string;
  /** The distribution file of shipped registrations (config/distribution-clients.ts), or null. */
  distributionFile: string | null;
  secrets: Pick<SystemSecrets, 'get' | 'put'>;
}

/**
 * The client Sophon signs in as at a service. First found wins: the person's setting
 * (`Sophon.OAuth.<service>`), the distribution file, a registration Sophon made earlier (RFC 7591), a
 * registration made now when the server offers one. With none, the error says how to register by hand.
 */
export async function oauthClientFor(sources: OAuthClientSources, service: ServiceDefinition): Promise<OAuthClient> {
  // openid-client is loaded only by commands that talk OAuth.
  const { createOAuthClient } = await import('../oauth/client');
  const { settings, settingsFile, secrets } = sources;
  const reg = settings.Sophon.OAuth[service.id];
  if (reg) {
    const clientSecret = await clientSecretFor(settings, settingsFile, secrets, service.id);
    return createOAuthClient(service, { clientId: reg.ClientId, clientSecret });
  }
  const shipped = (await readDistributionClients(sources.distributionFile))[service.id];
  if (shipped) {
    let clientSecret: string | undefined;
    if (shipped.clientSecret !== undefined) {
      // Copied into the vault on first use, then read from there (the shipped file is not ours to edit).
      const name = distributionSecretName(service.id);
      clientSecret = (await secrets.get(name)) ?? undefined;
      if (clientSecret !== shipped.clientSecret) {
        await secrets.put(name, shipped.clientSecret);
        clientSecret = shipped.clientSecret;
      }
    }
    return createOAuthClient(service, { clientId: shipped.clientId, clientSecret });
  }
  const oauth = service.auth.oauth;
  if (!oauth?.issuer) throw missingClient(sources, service, '');
  if (!oauth.dynamicRegistration) throw missingClient(sources, service, ' (dynamic registration is turned off for it)');
  try {
    return await createOAuthClient(service, (server) => dynamicRegistrationFor(sources, service, server));
  } catch (err) {
    // Discovery is only how Sophon looks for a registration endpoint here: the person still needs the setting.
    if (err instanceof SophonError && err.code === 'unreachable' && err.name === 'OAuthError') {
      throw missingClient(sources, service, ` (and ${oauth.issuer} could not be asked whether it registers apps itself: ${err.message})`);
    }
    throw err;
  }
}

function missingClient(sources: OAuthClientSources, service: ServiceDefinition, why: string): SophonError {
  return new SophonError(
    'settings_invalid',
    `Sophon.OAuth.${service.id}.ClientId is not set in ${sources.settingsFile}${why}: register Sophon as a desktop (native) app at ${service.name}, ` +
      `with the redirect URI ${LOOPBACK_REDIRECT} (any port), and give Sophon its client id: \`sophon oauth setup ${service.id}\` shows every step (or the app's setup panel; docs/oauth.md).`,
  );
}

/** The registration Sophon made at this issuer before, or a new one (RFC 7591) when the server offers it. */
async function dynamicRegistrationFor(sources: OAuthClientSources, service: ServiceDefinition, server: ResolvedServer): Promise<OAuthClientRegistration> {
  const issuer = server.metadata.issuer;
  const known = (await readRegistrations(registrationsFile(sources.configDir)))[service.id];
  if (known && known.Issuer === issuer && service.auth.oauth?.issuer !== undefined) {
    const clientSecret = known.ClientSecretInVault ? ((await sources.secrets.get(registeredSecretName(service.id))) ?? undefined) : undefined;
    return { clientId: known.ClientId, ...(clientSecret ? { clientSecret } : {}) };
  }
  if (!server.metadata.registration_endpoint) throw missingClient(sources, service, ` (${issuer} does not offer dynamic client registration)`);
  const { registerNativeClient } = await import('../oauth/registration');
  const made = await registerNativeClient(service, server);
  // Secrets into the vault first, then the file that says they are there.
  if (made.clientSecret) await sources.secrets.put(registeredSecretName(service.id), made.clientSecret);
  if (made.registrationAccessToken) await sources.secrets.put(registrationTokenName(service.id), made.registrationAccessToken);
  await saveRegistration(sources.configDir, service.id, {
    ClientId: made.clientId,
    Issuer: issuer,
    RegisteredAt: new Date().toISOString(),
    ...(made.registrationClientUri ? { RegistrationClientUri: made.registrationClientUri } : {}),
    ...(made.clientSecret ? { ClientSecretInVault: true } : {}),
    ...(made.registrationAccessToken ? { RegistrationTokenInVault: true } : {}),
  });
  return { clientId: made.clientId, ...(made.clientSecret ? { clientSecret: made.clientSecret } : {}) };
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
