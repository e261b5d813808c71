import type { ServiceDefinitionInput } from '../schema';

type Attach = NonNullable<ServiceDefinitionInput['attach']>;
type OAuth = NonNullable<ServiceDefinitionInput['auth']['oauth']>;

export const BEARER: Attach = [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }];

/** Google's installed-app endpoints, shared by every Google API entry. */
export const GOOGLE_OAUTH: OAuth = {
  authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  revocationUrl: 'https://oauth2.googleapis.com/revoke',
  issuer: 'https://accounts.google.com',
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
};

export const ATLASSIAN_OAUTH: OAuth = {
  authorizationUrl: 'https://auth.atlassian.com/authorize',
  tokenUrl: 'https://auth.atlassian.com/oauth/token',
  pkce: false,
  clientSecretRequired: true,
  extraAuthorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
};
