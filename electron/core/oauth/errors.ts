import * as oidc from 'openid-client';
import type { ErrorCode } from '../../../shared/errors';
import { SophonError } from '../errors';

/** Why an OAuth step failed; the connection layer decides from this (e.g. `invalid_grant` → needs re-auth). */
export type OAuthFailure =
  /** The person refused consent (`access_denied`). */
  | 'denied'
  /** The redirect's `state` was not the one this flow sent: a forged or stale redirect. */
  | 'state_mismatch'
  /** The redirect's `iss` (RFC 9207) was not the expected issuer: a mix-up. */
  | 'issuer_mismatch'
  /** The person did not finish in time. */
  | 'timeout'
  /** The device code ran out before the person approved it. */
  | 'expired'
  /** The grant (code or refresh token) is no longer valid: revoked, used, or expired. Re-authenticate. */
  | 'invalid_grant'
  /** The server answered with another OAuth error. */
  | 'rejected'
  /** The server could not be reached, timed out, or answered 5xx. */
  | 'unreachable'
  /** The server's answer broke the protocol. */
  | 'invalid_response'
  /** The catalog entry or client settings cannot work (missing endpoint, http for a remote service, …). */
  | 'config'
  /** A refresh failed a moment ago; the refresher waits before trying again. */
  | 'cooldown'
  /** The caller aborted. */
  | 'cancelled';

const CODE_OF: Record<OAuthFailure, ErrorCode> = {
  denied: 'auth_failed',
  state_mismatch: 'auth_failed',
  issuer_mismatch: 'auth_failed',
  timeout: 'auth_failed',
  expired: 'auth_failed',
  invalid_grant: 'auth_failed',
  rejected: 'auth_failed',
  unreachable: 'unreachable',
  invalid_response: 'auth_failed',
  config: 'invalid_input',
  cooldown: 'unreachable',
  cancelled: 'usage',
};

/** A SophonError that also says which OAuth failure it is. Its message never holds a token or a code. */
export class OAuthError extends SophonError {
  constructor(
    readonly failure: OAuthFailure,
    message: string,
    /** The OAuth `error` code from the server, where there was one. */
    readonly oauthError?: string,
  ) {
    super(CODE_OF[failure], message);
    this.name = 'OAuthError';
  }
}

export function isOAuthError(err: unknown, failure?: OAuthFailure): err is OAuthError {
  return err instanceof OAuthError && (failure === undefined || err.failure === failure);
}

/** Server-supplied text, cut short and cleaned of anything that looks like one of `secrets`. */
export function serverText(text: unknown, secrets: readonly (string | undefined)[] = []): string {
  if (typeof text !== 'string') return '';
  let out = text.replace(/[\r\n\t]+/g, ' ').slice(0, 200);
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * Turns whatever openid-client or fetch threw into an OAuthError. `what` names the step for a person
 * ("the token exchange with GitHub"). The original error is deliberately not kept as `cause`: openid-client
 * errors carry request parameters and response bodies, which can hold codes and tokens.
 */
export function toOAuthError(err: unknown, what: string, secrets: readonly (string | undefined)[] = []): OAuthError {
  if (err instanceof OAuthError) return err;
  if (err instanceof oidc.ResponseBodyError) {
    const desc = serverText(err.error_description, secrets);
    const detail = desc ? `: ${desc}` : '';
    if (err.status >= 500) return new OAuthError('unreachable', `${what} failed: the server had an error (HTTP ${err.status}, ${err.error})${detail}.`, err.error);
    switch (err.error) {
      case 'invalid_grant':
        return new OAuthError('invalid_grant', `${what} was refused: the authorization is no longer valid (invalid_grant)${detail}. Re-authenticate the connection.`, err.error);
      case 'access_denied':
        return new OAuthError('denied', `${what} failed: consent was denied.`, err.error);
      case 'expired_token':
        return new OAuthError('expired', `${what} failed: the code expired before it was approved. Start again.`, err.error);
      case 'temporarily_unavailable':
        return new OAuthError('unreachable', `${what} failed: the server is temporarily unavailable${detail}.`, err.error);
      default:
        return new OAuthError('rejected', `${what} was refused by the server (${serverText(err.error, secrets)})${detail}.`, err.error);
    }
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    if (err.error === 'access_denied') return new OAuthError('denied', `${what} failed: consent was denied.`, err.error);
    const desc = serverText(err.error_description, secrets);
    return new OAuthError('rejected', `${what} failed: the server answered ${serverText(err.error, secrets)}${desc ? `: ${desc}` : ''}.`, err.error);
  }
  if (err instanceof oidc.ClientError) {
    const cause: unknown = err.cause;
    if (err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response) {
      const status = cause.status;
      if (status >= 500 || status === 429) return new OAuthError('unreachable', `${what} failed: the server answered HTTP ${status}.`);
      return new OAuthError('invalid_response', `${what} failed: the server answered HTTP ${status} without an OAuth error.`);
    }
    if (err.code === 'OAUTH_RESPONSE_IS_NOT_JSON' && cause instanceof Response && cause.status >= 500) {
      return new OAuthError('unreachable', `${what} failed: the server answered HTTP ${cause.status}.`);
    }
    if (err.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN') return new OAuthError('config', `${what} failed: the endpoint is not https.`);
    // ClientError messages are fixed strings of openid-client, never parameters.
    return new OAuthError('invalid_response', `${what} failed: ${err.message} (${err.code ?? 'no code'}).`);
  }
  if (isAbort(err)) {
    const name = (err as { name?: string }).name;
    return name === 'TimeoutError'
      ? new OAuthError('unreachable', `${what} failed: the server did not answer in time.`)
      : new OAuthError('cancelled', `${what} was cancelled.`);
  }
  if (err instanceof TypeError && !('code' in err)) {
    // fetch failures: "fetch failed" with a system error as cause.
    const cause: unknown = err.cause;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
    return new OAuthError('unreachable', `${what} failed: the server could not be reached${code}.`);
  }
  return new OAuthError('invalid_response', `${what} failed unexpectedly: ${err instanceof Error ? err.name : typeof err}.`);
}

function isAbort(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('name' in err)) return false;
  return err.name === 'AbortError' || err.name === 'TimeoutError';
}
