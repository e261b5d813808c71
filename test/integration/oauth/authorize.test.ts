import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { authorizeWithBrowser, beginAuthorization, completeAuthorization } from '../../../electron/core/oauth/authorize';
import { createOAuthClient } from '../../../electron/core/oauth/client';
import { isOAuthError, OAuthError } from '../../../electron/core/oauth/errors';
import { startLoopback } from '../../../electron/core/oauth/loopback';
import { freshPage } from '../../helpers/browser';
import { useOidcFixture } from '../../helpers/oidc-fixture';
import { PUBLIC_CLIENT, type TestOidcServer } from '../../helpers/oidc-server';
import { browserOpener, loginAndConsent } from './drive';

async function userinfo(server: TestOidcServer, accessToken: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: res.status === 200 ? await res.json() : null };
}

describe('desktop sign-in: authorization code + PKCE over a loopback redirect, against oidc-provider in Chromium', () => {
  const fx = useOidcFixture();

  test('login and consent in the fx.browser yield working tokens, scopes and the account', async () => {
    const { context, page } = await freshPage(fx.browser);
    const opener = browserOpener(page, { login: 'ada' });
    const before = fx.server.tokenRequests('authorization_code');
    const started = Date.now();
    const tokens = await authorizeWithBrowser(fx.client, { openUrl: opener.openUrl, timeoutMs: 60_000 });
    assert.match(await opener.done, /connected to Test OIDC/);
    await context.close();

    assert.equal(fx.server.tokenRequests('authorization_code') - before, 1);
    assert.ok(tokens.accessToken.length > 10);
    assert.ok(tokens.refreshToken && tokens.refreshToken.length > 10, 'offline_access granted a refresh token');
    assert.equal(tokens.tokenType?.toLowerCase(), 'bearer');
    assert.ok(tokens.expiresAt !== undefined && tokens.expiresAt > started && tokens.expiresAt <= Date.now() + 8_000);
    assert.deepEqual([...tokens.scopes].sort(), ['email', 'offline_access', 'openid']);
    assert.deepEqual(tokens.identity, { sub: 'ada', email: 'ada@example.test' });
    const me = await userinfo(fx.server, tokens.accessToken);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { sub: 'ada', email: 'ada@example.test', email_verified: true });
  });

  test('without a catalog issuer the catalog endpoints are used and the flow still works', async () => {
    const manual = await createOAuthClient(fx.server.service({ withIssuer: false }), { clientId: PUBLIC_CLIENT });
    assert.equal(manual.issuerKnown, false);
    const { context, page } = await freshPage(fx.browser);
    const opener = browserOpener(page, { login: 'bob' });
    const tokens = await authorizeWithBrowser(manual, { openUrl: opener.openUrl, timeoutMs: 60_000, scopes: ['offline_access', 'email'] });
    await opener.done;
    await context.close();
    assert.ok(tokens.refreshToken);
    assert.deepEqual(tokens.identity, {}, 'no openid scope, no ID token');
  });

  test('a redirect with a foreign state is refused before any code exchange', async () => {
    const before = fx.server.tokenRequests('authorization_code');
    const err = await authorizeWithBrowser(fx.client, {
      timeoutMs: 60_000,
      // A forged redirect hits the loopback listener (CSRF / a stale tab).
      openUrl: async (url) => {
        const redirect = new URL(new URL(url).searchParams.get('redirect_uri') ?? '');
        redirect.searchParams.set('code', 'forged-code-value-123');
        redirect.searchParams.set('state', 'not-the-state');
        redirect.searchParams.set('iss', fx.server.issuer);
        void fetch(redirect).then((r) => r.text());
      },
    }).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'state_mismatch'), String(err));
    assert.equal(err.code, 'auth_failed');
    assert.match(err.message, /state mismatch/);
    assert.doesNotMatch(err.message, /forged-code-value-123/);
    assert.equal(fx.server.tokenRequests('authorization_code'), before);
  });

  test('a redirect whose iss is not the issuer (RFC 9207 mix-up) is refused', async () => {
    const { context, page } = await freshPage(fx.browser);
    const opener = browserOpener(page);
    const before = fx.server.tokenRequests('authorization_code');
    fx.server.tamperIssuer('https://attacker.example');
    try {
      const err = await authorizeWithBrowser(fx.client, { openUrl: opener.openUrl, timeoutMs: 60_000 }).then(() => null, (e: unknown) => e);
      assert.ok(isOAuthError(err, 'issuer_mismatch'), String(err));
      assert.match(await opener.done, /unexpected issuer/);
    } finally {
      fx.server.tamperIssuer(null);
      await context.close();
    }
    assert.equal(fx.server.tokenRequests('authorization_code'), before);
  });

  test('denied consent is a clear "consent was denied"', async () => {
    const { context, page } = await freshPage(fx.browser);
    const opener = browserOpener(page, { consent: 'deny' });
    const err = await authorizeWithBrowser(fx.client, { openUrl: opener.openUrl, timeoutMs: 60_000 }).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'denied'), String(err));
    assert.equal(err.code, 'auth_failed');
    assert.match(err.message, /consent was denied/);
    assert.match(await opener.done, /consent was denied/);
    await context.close();
  });

  test('a code is good once: the replayed exchange is refused and the first grant is revoked with it', async () => {
    const listener = await startLoopback({ timeoutMs: 60_000 });
    const pending = await beginAuthorization(fx.client, { redirectUri: listener.redirectUri });
    assert.equal(pending.url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(pending.url.searchParams.get('nonce'), 'OIDC request carries a nonce');
    const { context, page } = await freshPage(fx.browser);
    await page.goto(pending.url.href);
    // The loopback answers the tab only when told, so the fx.browser is driven alongside.
    const drive = loginAndConsent(page);
    const cb = await listener.callback;
    const first = await completeAuthorization(fx.client, pending, cb.url);
    cb.respond({ ok: true, message: 'done' });
    await drive;
    await listener.close();
    await context.close();

    const err = await completeAuthorization(fx.client, pending, cb.url).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'invalid_grant'), String(err));
    assert.doesNotMatch(err.message, new RegExp(cb.url.searchParams.get('code') ?? 'x'));
    // oidc-provider revokes what the first exchange issued once the code is replayed.
    assert.ok(first.refreshToken);
    const reuse = await oidc.refreshTokenGrant(fx.client.config, first.refreshToken).then(() => null, (e: unknown) => e);
    assert.ok(reuse instanceof oidc.ResponseBodyError && reuse.error === 'invalid_grant');
  });

  test('no redirect in time is a timeout, and the listener is gone afterwards', async () => {
    let redirectUri = '';
    const err = await authorizeWithBrowser(fx.client, {
      timeoutMs: 300,
      openUrl: async (url) => {
        redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
      },
    }).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'timeout'), String(err));
    assert.match(err.message, /not finished within/);
    const late = await fetch(redirectUri).then(() => 'answered', () => 'refused');
    assert.equal(late, 'refused');
  });

  test('a token endpoint error after consent fails clearly, without the code in the message', async () => {
    fx.server.failTokenRequests(1, { status: 500, error: 'server_error', grantType: 'authorization_code' });
    const { context, page } = await freshPage(fx.browser);
    const opener = browserOpener(page);
    let code = '';
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname === '/callback') code = u.searchParams.get('code') ?? '';
    });
    const err = await authorizeWithBrowser(fx.client, { openUrl: opener.openUrl, timeoutMs: 60_000 }).then(() => null, (e: unknown) => e);
    await opener.done;
    await context.close();
    assert.ok(err instanceof OAuthError, String(err));
    assert.equal(err.failure, 'unreachable');
    assert.match(err.message, /HTTP 500/);
    assert.ok(code.length > 10);
    assert.ok(!err.message.includes(code));
  });

  test('plain http endpoints are refused for a service that is not local', async () => {
    const remote = { ...fx.server.service(), local: false };
    const err = await createOAuthClient(remote, { clientId: PUBLIC_CLIENT }).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'config'), String(err));
    assert.match(err.message, /must use https/);
  });

  test('a service that needs a fx.client secret is refused without one', async () => {
    const svc = fx.server.service({ clientSecretRequired: true });
    const err = await createOAuthClient(svc, { clientId: PUBLIC_CLIENT }).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'config'), String(err));
  });

  test('a provider that matches the redirect port exactly: Sophon listens on the registered port; a busy port is a clear error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const setup = { consoleUrl: 'https://console.example.test/', appType: 'OAuth 2.0 (3LO)', redirect: 'loopback-fixed-port' as const, redirectPort: port, steps: [], verified: 'Unverified: a test service' };
    const fixed = await createOAuthClient(fx.server.service({ id: 'fixedport', setup }), { clientId: PUBLIC_CLIENT });
    const { context, page } = await freshPage(fx.browser);
    const opener = browserOpener(page, { login: 'ada' });
    let redirectUri = '';
    const tokens = await authorizeWithBrowser(fixed, {
      timeoutMs: 60_000,
      openUrl: async (url) => {
        redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
        await opener.openUrl(url);
      },
    });
    await opener.done;
    await context.close();
    assert.equal(redirectUri, `http://127.0.0.1:${port}/callback`);
    assert.ok(tokens.accessToken.length > 10);

    // Another program holds the port: the sign-in says so before any browser opens.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      let opened = false;
      const err = await authorizeWithBrowser(fixed, { timeoutMs: 60_000, openUrl: async () => void (opened = true) }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof OAuthError, String(err));
      assert.match(err.message, new RegExp(`needs port ${port} on 127\\.0\\.0\\.1.*another program is using it`));
      assert.equal(opened, false);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
