import type { ServiceDefinitionInput } from '../schema';

type Attach = NonNullable<ServiceDefinitionInput['attach']>;
type OAuth = NonNullable<ServiceDefinitionInput['auth']['oauth']>;
type Setup = NonNullable<OAuth['setup']>;

export const BEARER: Attach = [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }];

/*
 * Setup facts (guided setup, docs/oauth.md): where an app is registered and what to choose. `verified`
 * names the public page each fact was checked against in this repository's catalog work, and says
 * plainly what was not checked.
 */

/** Google Cloud console, Desktop app client; `api` is the API to enable for the service. */
export function googleSetup(api: string): Setup {
  return {
    consoleUrl: 'https://console.cloud.google.com/apis/credentials',
    appType: 'Create credentials \u2192 OAuth client ID \u2192 application type "Desktop app"',
    redirect: 'loopback-automatic',
    steps: [
      `Enable the ${api} (APIs & Services \u2192 Library).`,
      'Configure the OAuth consent screen and add the scopes below; while the app is in "Testing", add the people who sign in as test users.',
      'Copy the client ID and the client secret: Google gives Desktop app clients a secret it does not treat as confidential, and its token endpoint expects it.',
    ],
    verified:
      'Desktop app client type and loopback redirects (any port, nothing to register): developers.google.com/identity/protocols/oauth2/native-app; loopback stays supported for desktop apps: developers.google.com/identity/protocols/oauth2/resources/loopback-migration. Unverified: the console\u2019s menu names, and that the token endpoint insists on the Desktop client secret (observed behaviour).',
  };
}

export const MICROSOFT_SETUP: Setup = {
  consoleUrl: 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade',
  appType: 'App registrations \u2192 New registration, account types "Accounts in any organizational directory and personal Microsoft accounts", platform "Mobile and desktop applications"',
  redirect: 'loopback',
  steps: [
    'Under Authentication add the platform "Mobile and desktop applications" with the redirect URI below (if the portal refuses 127.0.0.1, add it in the Manifest, replyUrlsWithType).',
    'Set "Allow public client flows" to Yes: device sign-in needs it. No client secret: Sophon is a public client with PKCE.',
    'Under API permissions add the delegated Microsoft Graph permissions named by the scopes below.',
  ],
  verified:
    'Platform "Mobile and desktop applications" and its redirect URIs: learn.microsoft.com/entra/identity-platform/how-to-add-redirect-uri; device code flow: learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code. Unverified here: that a 127.0.0.1 redirect matches on any port and must go through the manifest (learn.microsoft.com/entra/identity-platform/reply-url, not re-read).',
};

export const ATLASSIAN_SETUP: Setup = {
  consoleUrl: 'https://developer.atlassian.com/console/myapps/',
  appType: 'Create \u2192 OAuth 2.0 integration',
  redirect: 'loopback',
  steps: [
    'Under Authorization \u2192 OAuth 2.0 (3LO) enter the callback URL below (an app has one callback URL).',
    'Under Permissions add the API and the scopes below.',
    'Copy the client ID and the secret from Settings: Atlassian apps are confidential clients.',
  ],
  verified:
    'Unverified: Atlassian compares the callback URL exactly, so a loopback redirect whose port changes per sign-in may be refused (Sophon cannot sign in on a fixed port yet); console steps from developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/ as summarized in the catalog facts, not re-read.',
};

/** Google's installed-app endpoints, shared by every Google API entry. */
export const GOOGLE_OAUTH: OAuth = {
  authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  revocationUrl: 'https://oauth2.googleapis.com/revoke',
  issuer: 'https://accounts.google.com',
  // Google offers no dynamic client registration (RFC 7591): a client comes from the distribution file or the guided setup.
  dynamicRegistration: false,
  pkce: true,
  // Desktop-app clients get a client_secret that Google does not treat as confidential, but the token
  // endpoint still expects it.
  clientSecretRequired: true,
  // Without offline + consent Google returns no refresh token on a repeat sign-in.
  extraAuthorizationParams: { access_type: 'offline', prompt: 'consent' },
};

/**
 * Microsoft identity platform, `common` tenant (work, school and personal accounts). The issuer differs
 * per tenant, so none is pinned here.
 */
export const MICROSOFT_OAUTH: OAuth = {
  authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  deviceAuthorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/devicecode',
  pkce: true,
  setup: MICROSOFT_SETUP,
};

export const ATLASSIAN_OAUTH: OAuth = {
  authorizationUrl: 'https://auth.atlassian.com/authorize',
  tokenUrl: 'https://auth.atlassian.com/oauth/token',
  pkce: false,
  clientSecretRequired: true,
  extraAuthorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  setup: ATLASSIAN_SETUP,
};
