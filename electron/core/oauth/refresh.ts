import * as oidc from 'openid-client';
import { SophonError } from '../errors';
import type { CredentialData, CredentialRef, StoredCredential } from '../vault/credential';
import { resourceParams, type OAuthClient } from './client';
import { OAuthError, toOAuthError } from './errors';
import { tokenSetFrom } from './tokens';

/**
 * Where the refresher reads and writes the tokens it refreshes, and how it takes turns with other
 * processes. The credentials module gives it the vault's records; the refresher knows nothing of files.
 */
export interface RefreshStore {
  read(ref: CredentialRef): Promise<StoredCredential | null>;
  write(ref: CredentialRef, data: CredentialData): Promise<void>;
  /**
   * Holds one connection's refresh exclusively across processes (a holder that died is taken over at
   * once); resolves to the release, or to null when a live holder kept it for `waitMs`.
   */
  lock(ref: CredentialRef, waitMs: number): Promise<(() => Promise<void>) | null>;
}

export interface RefresherOptions {
  store: RefreshStore;
  /** The one freshness rule (credentials/freshness): re-checked once the lock is held, so a token another process just refreshed is used. */
  needsRefresh: (credential: StoredCredential, at: number) => boolean;
  /** The OAuth client of a connection: the connection layer maps connection → service → client id. */
  clientFor: (ref: CredentialRef) => Promise<OAuthClient>;
  /** Told when a refresh shows the person must sign in again (invalid_grant, or no refresh token). */
  onNeedsReauth?: (ref: CredentialRef, error: OAuthError) => void;
  /** Told of every other failed refresh (the token endpoint unreachable or erring after the retries). */
  onFailed?: (ref: CredentialRef, error: OAuthError) => void;
  /** Told when this process refreshed the tokens (not when it found them refreshed by another). `forced`: a manual refresh. */
  onRefreshed?: (ref: CredentialRef, forced: boolean) => void;
  /** After a failed refresh, automatic refreshes of that connection wait this long (default 30 s). */
  cooldownMs?: number;
  /** Extra attempts after a network error or 5xx (default 3), waiting `backoffMs` doubled each time (default 500). */
  retries?: number;
  backoffMs?: number;
  /** How long to wait for another process's refresh of the same connection (default 60 s). */
  lockWaitMs?: number;
  now?: () => number;
}

export interface RefreshOptions {
  /** A manual refresh: skips the cooldown and refreshes even a token that is still fresh. */
  force?: boolean;
}

export interface OAuthRefresher {
  /**
   * Refreshes a token the caller found stale (`seen`), once per connection across callers and processes:
   * if another refreshed it meanwhile, theirs is returned. Inside the cooldown after a failure, that failure.
   */
  refreshStale(ref: CredentialRef, seen: StoredCredential): Promise<StoredCredential>;
  /** Refreshes a connection's tokens now (e.g. "Refresh" in the UI) and returns the stored credential. */
  refresh(ref: CredentialRef, options?: RefreshOptions): Promise<StoredCredential>;
}

interface Failure {
  at: number;
  error: OAuthError;
}

/**
 * Refreshes OAuth tokens; when is decided by credentials/ (the one freshness rule). One refresh per
 * connection at a time: callers in this process share one promise, and processes take the store's lock
 * (one whose owner died is taken over at once), then re-read the credential, so a refresh that
 * another process has just done is reused and a rotated refresh token is never sent twice. The new tokens are
 * in the vault before the lock is released.
 */
export function createOAuthRefresher(options: RefresherOptions): OAuthRefresher {
  const now = options.now ?? Date.now;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const lockWaitMs = options.lockWaitMs ?? 60_000;
  const inFlight = new Map<string, Promise<StoredCredential>>();
  const failures = new Map<string, Failure>();

  const keyOf = (ref: CredentialRef) => `${ref.userId}/${ref.connectionId}`;

  function run(ref: CredentialRef, seen: StoredCredential, force: boolean): Promise<StoredCredential> {
    const key = keyOf(ref);
    const running = inFlight.get(key);
    if (running) return running;
    if (!force) {
      const failed = failures.get(key);
      if (failed && now() - failed.at < cooldownMs) return Promise.reject(cooldownError(ref, failed));
    }
    const promise = refreshLocked(ref, seen, force).finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  }

  function cooldownError(ref: CredentialRef, failed: Failure): OAuthError {
    if (failed.error.failure === 'invalid_grant') return failed.error;
    const wait = Math.ceil((cooldownMs - (now() - failed.at)) / 1000);
    return new OAuthError('cooldown', `Refreshing connection ${ref.connectionId} failed a moment ago (${failed.error.message}) Sophon tries again in ${wait} s, or refresh it by hand.`);
  }

  async function refreshLocked(ref: CredentialRef, seen: StoredCredential, force: boolean): Promise<StoredCredential> {
    const key = keyOf(ref);
    const client = await options.clientFor(ref);
    const release = await options.store.lock(ref, lockWaitMs);
    if (!release) {
      throw new OAuthError('unreachable', `Another Sophon process has been refreshing connection ${ref.connectionId} for over ${Math.round(lockWaitMs / 1000)} s; try again.`);
    }
    try {
      const stored = await options.store.read(ref);
      if (!stored) throw new SophonError('not_found', `No credential is stored for connection ${ref.connectionId} of user ${ref.userId}.`);
      // Someone (another process, or an earlier caller here) refreshed since the caller read it: use theirs.
      if (stored.accessToken !== seen.accessToken) return stored;
      if (!force && !options.needsRefresh(stored, now())) return stored;
      const refreshToken = stored.refreshToken;
      if (!refreshToken) {
        throw new OAuthError('invalid_grant', `Connection ${ref.connectionId} has no refresh token; sign in to ${client.service.name} again.`);
      }
      const response = await grantWithRetries(client, refreshToken, stored.accessToken);
      const tokens = tokenSetFrom(client, response, stored.scopes ?? [], now());
      const next: StoredCredential = {
        ...stored,
        accessToken: tokens.accessToken,
        // Servers that do not rotate send no new refresh token: the old one stays good.
        refreshToken: tokens.refreshToken ?? refreshToken,
        scopes: tokens.scopes,
        obtainedAt: tokens.obtainedAt,
      };
      if (tokens.tokenType) next.tokenType = tokens.tokenType;
      if (tokens.expiresAt !== undefined) next.expiresAt = Math.floor(tokens.expiresAt);
      else delete next.expiresAt;
      await options.store.write(ref, next);
      failures.delete(key);
      options.onRefreshed?.(ref, force);
      return next;
    } catch (err) {
      const error = err instanceof OAuthError ? err : err instanceof SophonError ? null : toOAuthError(err, `Refreshing connection ${ref.connectionId}`);
      if (!error) throw err;
      failures.set(key, { at: now(), error });
      if (error.failure === 'invalid_grant') options.onNeedsReauth?.(ref, error);
      else options.onFailed?.(ref, error);
      throw error;
    } finally {
      await release().catch(() => undefined);
    }
  }

  async function grantWithRetries(client: OAuthClient, refreshToken: string, accessToken: string | undefined) {
    const what = `Refreshing the ${client.service.name} token`;
    for (let attempt = 0; ; attempt++) {
      try {
        return await oidc.refreshTokenGrant(client.config, refreshToken, resourceParams(client));
      } catch (err) {
        const e = toOAuthError(err, what, [refreshToken, accessToken]);
        if (e.failure !== 'unreachable' || attempt >= retries) throw e;
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** attempt));
      }
    }
  }

  return {
    refreshStale: (ref, seen) => run(ref, seen, false),
    async refresh(ref, refreshOptions = {}) {
      const current = await options.store.read(ref);
      if (!current) throw new SophonError('not_found', `No credential is stored for connection ${ref.connectionId} of user ${ref.userId}.`);
      return run(ref, current, refreshOptions.force ?? false);
    },
  };
}

