// OAuth for Sophon: client setup, desktop sign-in (loopback + PKCE), device codes, refresh, revocation.
export { createOAuthClient, parseScopes, scopeParam, type OAuthClient, type OAuthClientOptions, type OAuthClientRegistration, type OAuthSettings } from './client';
export { authorizeWithBrowser, beginAuthorization, completeAuthorization, defaultOpenUrl, type AuthorizeOptions, type BeginOptions, type OpenUrl, type PendingAuthorization } from './authorize';
export { startDeviceAuthorization, type DeviceAuthorization, type DeviceOptions } from './device';
export { isOAuthError, OAuthError, type OAuthFailure } from './errors';
export { startLoopback, type CallbackPage, type LoopbackCallback, type LoopbackListener, type LoopbackOptions } from './loopback';
export { createOAuthRefresher, type OAuthRefresher, type RefreshStore, type RefresherOptions, type RefreshOptions } from './refresh';
export { revokeTokens, type RevocationResult } from './revoke';
export { accountLabel, credentialFromTokens, type OAuthIdentity, type OAuthTokenSet } from './tokens';
