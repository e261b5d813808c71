import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, test } from 'vitest';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { createOAuthClient, type OAuthClient } from '../../../electron/core/oauth/client';
import { isOAuthError, type OAuthError } from '../../../electron/core/oauth/errors';
import { createOAuthRefresher, type OAuthRefresher, type RefresherOptions } from '../../../electron/core/oauth/refresh';
import { Credentials, needsRefresh, refreshStore } from '../../../electron/core/credentials';
import type { ConnectionRecord } from '../../../electron/core/connections/connection-store';
import { revokeTokens } from '../../../electron/core/oauth/revoke';
import { credentialFromTokens, type OAuthTokenSet } from '../../../electron/core/oauth/tokens';
import type { CredentialRef } from '../../../electron/core/vault/credential';
import { vaultFileName } from '../../../electron/core/vault/ids';
import { openVault, type OpenedVault } from '../../../electron/core/vault/open-vault';
import { launchBrowser } from '../../helpers/browser';
import { tempHome } from '../../helpers/home';
import { LONG_CLIENT, PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { signInWithBrowser } from './drive';

const USER = 'alice';

async function userinfoStatus(server: TestOidcServer, accessToken: string): Promise<number> {
  const res = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  await res.body?.cancel();
  return res.status;
}

/** Rejects if the promise resolves; returns the error otherwise. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
}

function assertNoSecret(err: unknown, ...secrets: (string | undefined)[]) {
  const text = err instanceof Error ? `${err.message} ${err.stack ?? ''}` : String(err);
  for (const s of secrets) if (s) assert.ok(!text.includes(s), 'a token leaked into an error');
}

describe('token refresh against oidc-provider (rotation, revocation, failures, one refresh at a time)', () => {
  let server: TestOidcServer;
  let browser: Browser;
  let shortClient: OAuthClient;
  let longClient: OAuthClient;
  let home: string;
  let cleanup: () => Promise<void>;
  let opened: OpenedVault;
  let credentials: Credentials;
  const rows = new Map<string, ConnectionRecord>();
  let nextId = 0;

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 4 });
    browser = await launchBrowser();
    shortClient = await createOAuthClient(server.service(), { clientId: PUBLIC_CLIENT });
    longClient = await createOAuthClient(server.service(), { clientId: LONG_CLIENT });
    ({ home, cleanup } = await tempHome());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await cleanup?.();
  });

  /**
   * A vault with its own refresher and credentials resolver (as one Sophon process has), and a connection
   * signed in for real. The connection's row is an active OAuth connection (no sophon.db here).
   */
  async function connection(client: OAuthClient, options: Partial<RefresherOptions> = {}): Promise<{ ref: CredentialRef; tokens: OAuthTokenSet; refresher: OAuthRefresher; reauth: OAuthError[] }> {
    const reauth: OAuthError[] = [];
    opened = await openVault({ home });
    const refresher = createOAuthRefresher({
      store: refreshStore(opened.vault),
      needsRefresh,
      clientFor: async () => client,
      onNeedsReauth: (_ref, err) => reauth.push(err),
      backoffMs: 10,
      ...options,
    });
    credentials = new Credentials({ vault: opened.vault, connection: (id) => rows.get(id) ?? null, service: async () => client.service, refresher: async () => refresher });
    const ref = { userId: USER, connectionId: `test-oidc-${++nextId}` };
    rows.set(ref.connectionId, activeRow(ref.connectionId, client));
    const tokens = await signInWithBrowser(browser, client);
    await opened.vault.put(ref.userId, ref.connectionId, credentialFromTokens(tokens));
    return { ref, tokens, refresher, reauth };
  }

  function activeRow(id: string, client: OAuthClient): ConnectionRecord {
    return { id, userId: USER, serviceId: client.service.id, label: id, authMethod: 'oauth2', scopes: [], fields: {}, state: 'active', stateReason: null, account: null, secretHint: null, createdAt: 0, updatedAt: 0, lastUsedAt: null, expiresAt: null, lastTestAt: null, lastTestStatus: null, lastTestMessage: null };
  }

  /** The access token as every door gets it: resolved by credentials/. */
  async function accessToken(ref: CredentialRef): Promise<string> {
    const row = rows.get(ref.connectionId);
    assert.ok(row);
    const { secret } = await credentials.resolve({ userId: ref.userId, connection: row, purpose: 'proxy' });
    assert.ok(secret);
    return secret;
  }

  test('an expired access token is refreshed on use; the rotated refresh token replaces the old one, which the server then refuses', async () => {
    const refreshed: boolean[] = [];
    const { ref, tokens } = await connection(shortClient, { onRefreshed: (_ref, forced) => refreshed.push(forced) });
    // Let the access token really expire at the server.
    while (Date.now() < (tokens.expiresAt ?? 0) + 1000) await new Promise((r) => setTimeout(r, 250));
    assert.equal(await userinfoStatus(server, tokens.accessToken), 401);

    const before = server.tokenRequests('refresh_token');
    const fresh = await accessToken(ref);
    assert.equal(server.tokenRequests('refresh_token') - before, 1);
    assert.notEqual(fresh, tokens.accessToken);
    assert.equal(await userinfoStatus(server, fresh), 200);
    assert.deepEqual(refreshed, [false], 'told once, of a refresh on use');
    // A second use finds the fresh token: nothing refreshed, nothing told.
    assert.equal(await accessToken(ref), fresh);
    assert.deepEqual(refreshed, [false]);

    const stored = await opened.vault.get(ref.userId, ref.connectionId);
    assert.ok(stored?.refreshToken && stored.refreshToken !== tokens.refreshToken, 'rotated refresh token stored');
    assert.equal(stored.accessToken, fresh);
    assert.ok(stored.expiresAt !== undefined && stored.expiresAt > Date.now());
    assert.deepEqual([...(stored.scopes ?? [])].sort(), ['email', 'offline_access', 'openid']);

    // The old refresh token is dead (and, being reused, ends the grant at oidc-provider).
    assert.ok(tokens.refreshToken);
    const reuse = await failure(oidc.refreshTokenGrant(shortClient.config, tokens.refreshToken));
    assert.ok(reuse instanceof oidc.ResponseBodyError && reuse.error === 'invalid_grant');
  });

  test('a refresh answered without a new refresh token keeps the old one', async () => {
    const { ref, tokens, refresher } = await connection(shortClient);
    server.rotateRefreshTokens(false);
    try {
      const next = await refresher.refresh(ref, { force: true });
      assert.notEqual(next.accessToken, tokens.accessToken);
      assert.equal(next.refreshToken, tokens.refreshToken);
      assert.equal((await opened.vault.get(ref.userId, ref.connectionId))?.refreshToken, tokens.refreshToken);
    } finally {
      server.rotateRefreshTokens(true);
    }
  });

  test('a grant revoked at the server gives the typed invalid_grant error, reports needs-reauth, and is not retried on every use', async () => {
    const { ref, tokens, refresher, reauth } = await connection(shortClient, { cooldownMs: 10 * 60_000 });
    const revoked = await revokeTokens(shortClient, tokens);
    assert.deepEqual(revoked, { outcome: 'revoked', message: null });
    assert.equal(await userinfoStatus(server, tokens.accessToken), 401);

    const before = server.tokenRequests('refresh_token');
    const err = await failure(refresher.refresh(ref, { force: true }));
    assert.ok(isOAuthError(err, 'invalid_grant'), String(err));
    assert.equal(err.code, 'auth_failed');
    assert.match(err.message, /Re-authenticate/);
    assertNoSecret(err, tokens.accessToken, tokens.refreshToken);
    assert.equal(reauth.length, 1);
    assert.equal(server.tokenRequests('refresh_token') - before, 1);

    // getAccessToken on the expired credential inside the cooldown: same typed error, no request.
    const stored = await opened.vault.get(ref.userId, ref.connectionId);
    assert.ok(stored);
    await opened.vault.put(ref.userId, ref.connectionId, { ...stored, expiresAt: Date.now() - 1000 });
    const again = await failure(accessToken(ref));
    assert.ok(isOAuthError(again, 'invalid_grant'));
    assert.equal(server.tokenRequests('refresh_token') - before, 1);
    // Nothing was overwritten by the failures.
    assert.equal((await opened.vault.get(ref.userId, ref.connectionId))?.refreshToken, tokens.refreshToken);
  });

  test('transient token-endpoint failures are retried with backoff', async () => {
    const { ref, tokens, refresher } = await connection(shortClient, { retries: 3 });
    server.failTokenRequests(2, { status: 503, error: 'temporarily_unavailable', grantType: 'refresh_token' });
    const before = server.tokenRequests('refresh_token');
    const next = await refresher.refresh(ref, { force: true });
    assert.equal(server.tokenRequests('refresh_token') - before, 3);
    assert.notEqual(next.accessToken, tokens.accessToken);
  });

  test('when retries run out the error is clear; automatic refreshes then wait out a cooldown that a manual one skips', async () => {
    const failed: OAuthError[] = [];
    const refreshed: boolean[] = [];
    const { ref, tokens, refresher, reauth } = await connection(shortClient, { retries: 1, cooldownMs: 10 * 60_000, onFailed: (_ref, e) => failed.push(e), onRefreshed: (_ref, forced) => refreshed.push(forced) });
    server.failTokenRequests(2, { status: 502, error: 'server_error', grantType: 'refresh_token' });
    const before = server.tokenRequests('refresh_token');
    const err = await failure(refresher.refresh(ref, { force: true }));
    assert.ok(isOAuthError(err, 'unreachable'), String(err));
    assert.equal(err.code, 'unreachable');
    assert.match(err.message, /HTTP 502/);
    assertNoSecret(err, tokens.accessToken, tokens.refreshToken);
    assert.equal(server.tokenRequests('refresh_token') - before, 2);
    assert.equal(reauth.length, 0, 'a server outage is not a reason to sign in again');
    assert.deepEqual(failed, [err], 'the failed refresh is told (once, after the retries)');

    const cooled = await failure(refresher.refresh(ref));
    assert.ok(isOAuthError(cooled, 'cooldown'), String(cooled));
    assert.equal(server.tokenRequests('refresh_token') - before, 2, 'no request during the cooldown');

    assert.equal(failed.length, 1, 'a refusal inside the cooldown is not a new failed refresh');

    const next = await refresher.refresh(ref, { force: true });
    assert.notEqual(next.accessToken, tokens.accessToken);
    assert.equal(server.tokenRequests('refresh_token') - before, 3);
    assert.deepEqual(refreshed, [true], 'a manual refresh is told as forced');
  });

  test('200 concurrent resolves in each of two processes on an expired token make exactly one refresh', async () => {
    const { ref, tokens } = await connection(longClient);
    const stored = await opened.vault.get(ref.userId, ref.connectionId);
    assert.ok(stored);
    await opened.vault.put(ref.userId, ref.connectionId, { ...stored, expiresAt: Date.now() - 1000 });

    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./refresh-child.ts', import.meta.url))], {
      env: {
        ...process.env,
        SOPHON_HOME: home,
        CHILD_SERVICE: JSON.stringify(longClient.service),
        CHILD_CLIENT_ID: LONG_CLIENT,
        CHILD_USER: ref.userId,
        CHILD_CONNECTION: ref.connectionId,
        CHILD_CALLS: '200',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');

    const before = server.tokenRequests('refresh_token');
    child.stdin.write('go\n');
    const mine = await Promise.all(Array.from({ length: 200 }, () => accessToken(ref)));
    const theirs = JSON.parse(String((await lines.next()).value)) as string[];
    child.stdin.end();
    const [code] = await exited;
    assert.equal(code, 0);

    assert.equal(server.tokenRequests('refresh_token') - before, 1, 'exactly one refresh_token grant at the server');
    const all = new Set([...mine, ...theirs]);
    assert.equal(theirs.length, 200);
    assert.equal(all.size, 1, 'every caller in both processes got the same new token');
    const [token] = all;
    assert.ok(token && token !== tokens.accessToken);
    assert.equal(await userinfoStatus(server, token), 200);
    const after = await opened.vault.get(ref.userId, ref.connectionId);
    assert.equal(after?.accessToken, token);
    assert.ok(after?.refreshToken && after.refreshToken !== tokens.refreshToken);
    // The stored (rotated) refresh token is the live one.
    const check = await oidc.refreshTokenGrant(longClient.config, after.refreshToken);
    assert.ok(check.access_token);
  });

  test('a refresh killed mid-request (kill -9) leaves a lock that verify does not call a stray, clears once its owner is dead, and the next refresh takes over at once', async () => {
    const { ref, tokens } = await connection(longClient);
    const stored = await opened.vault.get(ref.userId, ref.connectionId);
    assert.ok(stored);
    await opened.vault.put(ref.userId, ref.connectionId, { ...stored, expiresAt: Date.now() - 1000 });
    const lock = join(home, 'vault', `${vaultFileName(ref.userId, ref.connectionId)}.refresh.lock`);
    const exists = (path: string) => stat(path).then(() => true, () => false);

    /** A second Sophon process starts the refresh, and is killed while the token endpoint has its request. */
    async function killMidRefresh(whileHeld: () => Promise<void> = async () => undefined): Promise<void> {
      const held = server.holdTokenRequest('refresh_token');
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./refresh-child.ts', import.meta.url))], {
        env: { ...process.env, SOPHON_HOME: home, CHILD_SERVICE: JSON.stringify(longClient.service), CHILD_CLIENT_ID: LONG_CLIENT, CHILD_USER: ref.userId, CHILD_CONNECTION: ref.connectionId, CHILD_CALLS: '1' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      assert.equal((await lines.next()).value, 'ready');
      child.stdin.write('go\n');
      await held.reached;
      assert.ok(await exists(lock), 'the refreshing process holds the lock');
      await whileHeld();
      child.kill('SIGKILL');
      const [, signal] = await exited;
      assert.equal(signal, 'SIGKILL');
      held.release();
      assert.ok(await exists(lock), 'the killed process left its lock behind');
    }

    // Held by a live process: not a stray, and left alone.
    await killMidRefresh(async () => {
      const report = await opened.vault.verify();
      assert.deepEqual(report.strays, []);
      assert.ok(await exists(lock));
    });
    // Its owner dead: verify clears it and still reports no stray.
    const report = await opened.vault.verify();
    assert.deepEqual(report.strays, []);
    assert.deepEqual(report.failures, []);
    assert.equal(await exists(lock), false, 'verify removed the dead lock');

    await killMidRefresh();
    const before = server.tokenRequests('refresh_token');
    const started = Date.now();
    const fresh = await accessToken(ref);
    const took = Date.now() - started;
    // Before, a dead owner's lock stalled this refresh until it went stale (30 s).
    assert.ok(took < 5000, `the refresh waited ${took} ms for a dead process's lock`);
    assert.equal(server.tokenRequests('refresh_token') - before, 1);
    assert.notEqual(fresh, tokens.accessToken);
    assert.equal(await userinfoStatus(server, fresh), 200);
    assert.equal(await exists(lock), false, 'the lock is released after the refresh');
    assert.deepEqual((await opened.vault.verify()).strays, []);
  });

  test('revocation is not applicable without an endpoint, and reports (never throws) when the server is down', async () => {
    const none = await createOAuthClient(server.service({ withIssuer: false, revocationUrl: undefined }), { clientId: PUBLIC_CLIENT });
    assert.deepEqual(await revokeTokens(none, { accessToken: 'canary-access-token-1', refreshToken: 'canary-refresh-token-1' }), { outcome: 'not_applicable', message: null });

    const down = await createOAuthClient(server.service({ withIssuer: false, revocationUrl: 'http://127.0.0.1:9/revoke' }), { clientId: PUBLIC_CLIENT });
    const result = await revokeTokens(down, { accessToken: 'canary-access-token-2', refreshToken: 'canary-refresh-token-2' });
    assert.equal(result.outcome, 'failed');
    assert.match(result.message ?? '', /could not be reached/);
    assert.ok(!(result.message ?? '').includes('canary-'));
  });
});
