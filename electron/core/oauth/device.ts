import * as oidc from 'openid-client';
import { resourceParams, scopeParam, type OAuthClient } from './client';
import { OAuthError, toOAuthError } from './errors';
import { tokenSetFrom, type OAuthTokenSet } from './tokens';

/** What to show the person: go to `verificationUri` and type `userCode`. Neither is a secret. */
export interface DeviceAuthorization {
  userCode: string;
  verificationUri: string;
  /** The URL with the code filled in, where the service offers one (good for a QR code). */
  verificationUriComplete?: string;
  /** Epoch ms after which the code is dead. */
  expiresAt: number;
  /** Seconds between polls, as the server asked. */
  interval: number;
  /** Polls until the person approves, refuses, or the code expires. Call once. */
  wait(options?: { signal?: AbortSignal }): Promise<OAuthTokenSet>;
}

export interface DeviceOptions {
  scopes?: readonly string[];
  now?: () => number;
}

/**
 * RFC 8628 device authorization: asks the service for a user code, then `wait()` polls the token endpoint at
 * the server's interval (slower after `slow_down`) until the person has approved on another device.
 */
export async function startDeviceAuthorization(client: OAuthClient, options: DeviceOptions = {}): Promise<DeviceAuthorization> {
  const name = client.service.name;
  const now = options.now ?? Date.now;
  if (!client.config.serverMetadata().device_authorization_endpoint) {
    throw new OAuthError('config', `${name} does not offer sign-in with a device code.`);
  }
  const scopes = [...(options.scopes ?? client.service.defaultScopes)];
  const params: Record<string, string> = { ...resourceParams(client) };
  if (scopes.length > 0) params.scope = scopeParam(client, scopes);
  let response: oidc.DeviceAuthorizationResponse;
  try {
    response = await oidc.initiateDeviceAuthorization(client.config, params);
  } catch (err) {
    throw toOAuthError(err, `Asking ${name} for a device code`);
  }
  const started = now();
  let waited = false;
  const result: DeviceAuthorization = {
    userCode: response.user_code,
    verificationUri: response.verification_uri,
    expiresAt: started + response.expires_in * 1000,
    interval: response.interval ?? 5,
    async wait(waitOptions = {}) {
      if (waited) throw new OAuthError('config', 'This device sign-in is already being waited for.');
      waited = true;
      const expiry = AbortSignal.timeout(Math.max(0, started + response.expires_in * 1000 - now()));
      const signal = waitOptions.signal ? AbortSignal.any([waitOptions.signal, expiry]) : expiry;
      try {
        const tokens = await oidc.pollDeviceAuthorizationGrant(client.config, response, resourceParams(client), { signal });
        return tokenSetFrom(client, tokens, scopes, now());
      } catch (err) {
        if (expiry.aborted) throw new OAuthError('expired', `The device code for ${name} expired before it was approved; nothing was stored. Start again.`);
        if (waitOptions.signal?.aborted) throw new OAuthError('cancelled', `Signing in to ${name} was cancelled; nothing was stored.`);
        const e = toOAuthError(err, `Signing in to ${name} with a device code`, [response.device_code]);
        if (e.failure === 'denied') throw new OAuthError('denied', `Signing in to ${name} failed: consent was denied. Nothing was stored.`, e.oauthError);
        if (e.failure === 'expired') throw new OAuthError('expired', `The device code for ${name} expired before it was approved; nothing was stored. Start again.`, e.oauthError);
        throw e;
      }
    },
  };
  if (response.verification_uri_complete) result.verificationUriComplete = response.verification_uri_complete;
  return result;
}
