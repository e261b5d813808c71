import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { createOAuthClient } from '../../../electron/core/oauth/client';
import { startDeviceAuthorization, type DeviceAuthorization } from '../../../electron/core/oauth/device';
import { isOAuthError } from '../../../electron/core/oauth/errors';
import { freshPage } from '../../helpers/browser';
import { useOidcFixture } from '../../helpers/oidc-fixture';
import { DEVICE_GRANT, PUBLIC_CLIENT } from '../../helpers/oidc-server';
import { loginAndConsent } from './drive';

describe('device authorization grant (RFC 8628) against oidc-provider, the code typed in Chromium', () => {
  const fx = useOidcFixture();

  /** A person on another device: opens the verification page, types the code, confirms (or aborts), signs in. */
  async function approveOnAnotherDevice(device: DeviceAuthorization, answer: 'approve' | 'abort' = 'approve'): Promise<void> {
    const { context, page } = await freshPage(fx.browser);
    try {
      await page.goto(device.verificationUri);
      await page.locator('input[name=user_code]').fill(device.userCode);
      await page.locator('button[form="op.deviceInputForm"]').click();
      if (answer === 'abort') {
        await page.locator('button[name=abort]').click();
        await page.getByText('The Sign-in request was interrupted').waitFor();
        return;
      }
      await page.locator('button[autofocus][form="op.deviceConfirmForm"]').click();
      await loginAndConsent(page, { login: 'dev' });
      await page.getByText('Sign-in Success').waitFor();
    } finally {
      await context.close();
    }
  }

  test('the person types the user code and approves: tokens arrive by polling', async () => {
    const device = await startDeviceAuthorization(fx.client);
    assert.match(device.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(device.verificationUri, `${fx.server.issuer}/device`);
    assert.ok(device.verificationUriComplete?.includes('user_code='));
    assert.equal(device.interval, 1);
    assert.ok(device.expiresAt > Date.now());
    const before = fx.server.tokenRequests(DEVICE_GRANT);
    const waiting = device.wait();
    await approveOnAnotherDevice(device);
    const tokens = await waiting;
    assert.ok(fx.server.tokenRequests(DEVICE_GRANT) - before >= 1);
    assert.ok(tokens.refreshToken);
    assert.deepEqual(tokens.identity, { sub: 'dev', email: 'dev@example.test' });
    const me = await fetch(`${fx.server.issuer}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    assert.equal(me.status, 200);
  });

  test('slow_down is honoured: polling goes on (more slowly) and still succeeds', async () => {
    const device = await startDeviceAuthorization(fx.client);
    fx.server.slowDownDevicePolls(1);
    const before = fx.server.tokenRequests(DEVICE_GRANT);
    const waiting = device.wait();
    await approveOnAnotherDevice(device);
    const tokens = await waiting;
    assert.ok(tokens.accessToken);
    assert.ok(fx.server.tokenRequests(DEVICE_GRANT) - before >= 2, 'one slow_down answer, then the grant');
  });

  test('the person aborts on the verification page: "consent was denied"', async () => {
    const device = await startDeviceAuthorization(fx.client);
    const waiting = device.wait().then(() => null, (e: unknown) => e);
    await approveOnAnotherDevice(device, 'abort');
    const err = await waiting;
    assert.ok(isOAuthError(err, 'denied'), String(err));
    assert.equal(err.code, 'auth_failed');
    assert.match(err.message, /consent was denied/);
  });

  test('the fx.server says the code expired (expired_token): a clear "start again"', async () => {
    const device = await startDeviceAuthorization(fx.client);
    fx.server.failTokenRequests(1, { status: 400, error: 'expired_token', grantType: DEVICE_GRANT });
    const err = await device.wait().then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'expired'), String(err));
    assert.match(err.message, /expired before it was approved/);
  });

  test('the caller can cancel the wait', async () => {
    const device = await startDeviceAuthorization(fx.client);
    const controller = new AbortController();
    const waiting = device.wait({ signal: controller.signal }).then(() => null, (e: unknown) => e);
    controller.abort();
    const err = await waiting;
    assert.ok(isOAuthError(err, 'cancelled'), String(err));
  });

  test('a service without a device endpoint says so', async () => {
    const noDevice = await createOAuthClient(fx.server.service({ withIssuer: false, deviceAuthorizationUrl: undefined }), { clientId: PUBLIC_CLIENT });
    const err = await startDeviceAuthorization(noDevice).then(() => null, (e: unknown) => e);
    assert.ok(isOAuthError(err, 'config'), String(err));
  });
});
