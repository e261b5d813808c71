import * as oidc from 'openid-client';
import { resourceParams, scopeParam, type OAuthClient } from './client';
import { OAuthError, serverText, toOAuthError } from './errors';
import { startLoopback } from './loopback';
import { tokenSetFrom, type OAuthTokenSet } from './tokens';

/** Opens a URL in the person's browser. The default uses the `open` package; tests drive a real browser. */
export type OpenUrl = (url: string) => Promise<void>;

export const defaultOpenUrl: OpenUrl = async (url) => {
  const { default: open } = await import('open');
  await open(url);
};

/** One authorization request in flight: the secrets that tie its redirect and code exchange to it. */
export interface PendingAuthorization {
  /** Where to send the person. */
  url: URL;
  redirectUri: string;
  state: string;
  codeVerifier?: string;
  nonce?: string;
  scopes: string[];
}

export interface BeginOptions {
  redirectUri: string;
  /** Default: the service's `defaultScopes`. */
  scopes?: readonly string[];
  loginHint?: string;
}

/** Builds the authorization URL with PKCE (S256), a fresh `state` and, for OpenID Connect, a `nonce`. */
export async function beginAuthorization(client: OAuthClient, options: BeginOptions): Promise<PendingAuthorization> {
  const scopes = [...(options.scopes ?? client.service.defaultScopes)];
  const state = oidc.randomState();
  const params: Record<string, string> = { ...client.oauth.extraAuthorizationParams, ...resourceParams(client), redirect_uri: options.redirectUri, response_type: 'code', state };
  if (scopes.length > 0) params.scope = scopeParam(client, scopes);
  const pending: PendingAuthorization = { url: new URL('about:blank'), redirectUri: options.redirectUri, state, scopes };
  if (client.oauth.pkce) {
    pending.codeVerifier = oidc.randomPKCECodeVerifier();
    params.code_challenge = await oidc.calculatePKCECodeChallenge(pending.codeVerifier);
    params.code_challenge_method = 'S256';
  }
  if (client.oidc && client.issuerKnown && scopes.includes('openid')) {
    pending.nonce = oidc.randomNonce();
    params.nonce = pending.nonce;
  }
  if (options.loginHint) params.login_hint = options.loginHint;
  pending.url = oidc.buildAuthorizationUrl(client.config, params);
  return pending;
}

/**
 * Checks the redirect (state, `iss`, `error`) and exchanges its code. Every failure is an OAuthError whose
 * message holds no code or token.
 */
export async function completeAuthorization(client: OAuthClient, pending: PendingAuthorization, callbackUrl: URL, now: () => number = Date.now): Promise<OAuthTokenSet> {
  const name = client.service.name;
  const params = callbackUrl.searchParams;
  // Checked here first for clear messages; openid-client checks the same again.
  if (params.get('state') !== pending.state) {
    throw new OAuthError('state_mismatch', `The sign-in redirect for ${name} did not belong to this sign-in (state mismatch); it was ignored and nothing was stored. Start again.`);
  }
  const iss = params.get('iss');
  const received = new URL(callbackUrl.href);
  if (iss !== null) {
    if (client.issuerKnown) {
      if (iss !== client.config.serverMetadata().issuer) {
        throw new OAuthError('issuer_mismatch', `The sign-in redirect for ${name} came from an unexpected issuer; nothing was stored.`);
      }
    } else {
      // RFC 9207 §2.4: without a known issuer there is nothing to compare with.
      received.searchParams.delete('iss');
    }
  }
  const error = params.get('error');
  if (error !== null) {
    if (error === 'access_denied') throw new OAuthError('denied', `Signing in to ${name} failed: consent was denied. Nothing was stored.`, error);
    const desc = serverText(params.get('error_description'));
    throw new OAuthError('rejected', `Signing in to ${name} failed: the service answered ${serverText(error)}${desc ? ` (${desc})` : ''}. Nothing was stored.`, error);
  }
  if (!params.get('code')) {
    throw new OAuthError('invalid_response', `The sign-in redirect for ${name} carried no authorization code; nothing was stored.`);
  }
  // The redirect_uri sent to the token endpoint must be the registered one, byte for byte.
  const exchangeUrl = new URL(pending.redirectUri);
  exchangeUrl.search = received.search;
  try {
    const response = await oidc.authorizationCodeGrant(client.config, exchangeUrl, {
      expectedState: pending.state,
      ...(pending.codeVerifier ? { pkceCodeVerifier: pending.codeVerifier } : {}),
      ...(pending.nonce ? { expectedNonce: pending.nonce } : {}),
    }, resourceParams(client));
    return tokenSetFrom(client, response, pending.scopes, now());
  } catch (err) {
    throw toOAuthError(err, `Exchanging the sign-in code with ${name}`, [params.get('code') ?? undefined]);
  }
}

export interface AuthorizeOptions {
  scopes?: readonly string[];
  loginHint?: string;
  /** How the authorization URL reaches the person. Default: their browser, through `open`. */
  openUrl?: OpenUrl;
  /** How long the person has to finish (default 5 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * The whole desktop sign-in (RFC 8252): a one-shot loopback listener, the browser on the authorization URL,
 * the redirect checked, the code exchanged. Returns the tokens; storing them is the caller's business, so a
 * failure anywhere leaves nothing behind.
 */
export async function authorizeWithBrowser(client: OAuthClient, options: AuthorizeOptions = {}): Promise<OAuthTokenSet> {
  const fixedPort = client.oauth.setup?.redirect === 'loopback-fixed-port' ? client.oauth.setup.redirectPort : undefined;
  const listener = await startLoopback({ timeoutMs: options.timeoutMs ?? 5 * 60_000, ...(options.signal ? { signal: options.signal } : {}), ...(fixedPort ? { port: fixedPort } : {}) });
  try {
    const pending = await beginAuthorization(client, {
      redirectUri: listener.redirectUri,
      ...(options.scopes ? { scopes: options.scopes } : {}),
      ...(options.loginHint ? { loginHint: options.loginHint } : {}),
    });
    try {
      await (options.openUrl ?? defaultOpenUrl)(pending.url.href);
    } catch {
      throw new OAuthError('config', `Could not open a browser for signing in to ${client.service.name}.`);
    }
    const cb = await listener.callback;
    try {
      const tokens = await completeAuthorization(client, pending, cb.url, options.now);
      cb.respond({ ok: true, message: `Sophon is now connected to ${client.service.name}. Return to Sophon.` });
      return tokens;
    } catch (err) {
      const e = err instanceof OAuthError ? err : toOAuthError(err, `Signing in to ${client.service.name}`);
      cb.respond({ ok: false, message: `${e.message} Return to Sophon.` });
      throw e;
    }
  } finally {
    await listener.close();
  }
}
