// Issuer-only connectors against oidc-provider: endpoints from discovery, Sophon registering itself
// (RFC 7591) on first use, PKCE sign-in in Chromium, refresh, revocation; and the fallbacks when the
// server offers no registration or refuses it.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ServiceDefinition } from '../../../electron/core/catalog/schema';
import { createCore, type Core } from '../../../electron/core/sophon-core';
import { registrationTokenName } from '../../../electron/core/vault/system-secrets';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { filesUnder, forms } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';
import { startOidcServer, type OidcServerOptions, type TestOidcServer } from '../../helpers/oidc-server';
import { browserOpener } from './drive';

/** The test server's catalog entry with every endpoint removed: only `issuer` is left. */
function issuerOnly(server: TestOidcServer, id: string): ServiceDefinition {
  const service: ServiceDefinition = {
    ...server.service({ id, authorizationUrl: undefined, tokenUrl: undefined, revocationUrl: undefined, deviceAuthorizationUrl: undefined }),
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
  };
  assert.equal(service.auth.oauth?.authorizationUrl, undefined);
  assert.equal(service.auth.oauth?.issuer, server.issuer);
  return service;
}

async function homeWith(service: ServiceDefinition): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const h = await tempHome();
  await mkdir(join(h.home, 'connectors'));
  await writeFile(join(h.home, 'connectors', `${service.id}.json`), JSON.stringify(service));
  return h;
}

async function filesHolding(home: string, secret: string): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(home)) {
    const text = (await readFile(file)).toString('latin1');
    if (forms(secret).some((f) => text.includes(f))) hits.push(file);
  }
  return hits;
}

function suite(name: string, options: OidcServerOptions, body: (ctx: { server: () => TestOidcServer; browser: () => Browser }) => void): void {
  describe(name, () => {
    let server: TestOidcServer;
    let browser: Browser;
    beforeAll(async () => {
      server = await startOidcServer(options);
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });
    body({ server: () => server, browser: () => browser });
  });
}

async function addWithBrowser(browser: Browser, core: Core, serviceId: string, login = 'ada') {
  const { context, page } = await freshPage(browser);
  try {
    const opener = browserOpener(page, { login });
    const out = await core.connections.add('default', { serviceId, oauth: { openUrl: opener.openUrl, timeoutMs: 60_000 } });
    await opener.done;
    return out;
  } finally {
    await context.close();
  }
}

suite('an issuer-only connector at a server with open registration', { registration: 'open', accessTokenTtl: 600 }, ({ server, browser }) => {
  test('discovery, dynamic registration, PKCE sign-in, refresh, a second connection on the same registration, revocation; no registration secret outside the vault', async () => {
    const service = issuerOnly(server(), 'dyn');
    const { home, cleanup } = await homeWith(service);
    const core = await createCore({ home });
    try {
      const { connection, test: outcome } = await addWithBrowser(browser(), core, 'dyn');
      assert.equal(connection.state, 'active');
      assert.equal(connection.account, 'ada@example.test');
      assert.equal(outcome?.status, 'ok', outcome?.message);

      const regs = JSON.parse(await readFile(join(home, 'config', 'oauth-registrations.json'), 'utf8')) as Record<string, { ClientId: string; Issuer: string; RegistrationTokenInVault?: boolean }>;
      const reg = regs.dyn;
      assert.ok(reg, 'the registration is kept');
      assert.equal(reg.Issuer, server().issuer);
      assert.equal(reg.RegistrationTokenInVault, true);
      // The server really has this client, registered as a public native client.
      const client = await server().provider.Client.find(reg.ClientId);
      assert.ok(client, 'the server knows the registered client');
      assert.equal(client.clientAuthMethod, 'none');
      assert.equal(client.applicationType, 'native');
      // Nothing in settings: a dynamic registration is not the person's setting.
      assert.doesNotMatch(await readFile(join(home, 'config', 'appsettings.json'), 'utf8'), /ClientId/);

      const before = server().tokenRequests('refresh_token');
      await core.refresh({ userId: 'default', connectionId: connection.id }, { force: true });
      assert.equal(server().tokenRequests('refresh_token'), before + 1);

      // A second sign-in reuses the registration instead of registering again.
      const second = await addWithBrowser(browser(), core, 'dyn', 'bob');
      assert.equal(second.connection.account, 'bob@example.test');
      const again = JSON.parse(await readFile(join(home, 'config', 'oauth-registrations.json'), 'utf8')) as typeof regs;
      assert.equal(again.dyn?.ClientId, reg.ClientId);

      const rat = await core.systemSecrets.get(registrationTokenName('dyn'));
      assert.ok(rat && rat.length > 10, 'the registration access token is in the vault');
      const credential = await core.credentials.read({ userId: 'default', connectionId: connection.id });
      assert.ok(credential?.refreshToken);
      for (const secret of [rat, credential.accessToken, credential.refreshToken].map(String)) {
        assert.deepEqual(await filesHolding(home, secret), [], 'no registration token or OAuth token in plain text under SOPHON_HOME');
      }

      const removed = await core.connections.remove('default', connection.id);
      assert.equal(removed.revocation, 'revoked');
      assert.equal(await server().provider.RefreshToken.find(credential.refreshToken), undefined, 'the refresh token no longer works at the server');
    } finally {
      core.close();
      await cleanup();
    }
  });
});

suite('an issuer-only connector at a server without registration', { registration: 'off' }, ({ server }) => {
  test('the error says the server offers no registration and how to register by hand; nothing is stored', async () => {
    const service = issuerOnly(server(), 'noreg');
    const { home, cleanup } = await homeWith(service);
    const core = await createCore({ home });
    try {
      const err = await core.connections.add('default', { serviceId: 'noreg', oauth: { openUrl: async () => assert.fail('no browser without a client') } }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error);
      assert.equal((err as Error & { code?: string }).code, 'settings_invalid');
      assert.match(err.message, /does not offer dynamic client registration/);
      assert.match(err.message, /Sophon\.OAuth\.noreg\.ClientId/);
      assert.match(err.message, /http:\/\/127\.0\.0\.1\/callback/);
      assert.deepEqual(await core.connections.list('default'), []);
    } finally {
      core.close();
      await cleanup();
    }
  });
});

suite('an issuer-only connector at a server that refuses anonymous registration', { registration: 'initial-token' }, ({ server }) => {
  test('the fallback to setting a client id by hand quotes the server\u2019s answer', async () => {
    const service = issuerOnly(server(), 'closed');
    const { home, cleanup } = await homeWith(service);
    const core = await createCore({ home });
    try {
      const err = await core.connections.add('default', { serviceId: 'closed', oauth: { openUrl: async () => assert.fail('no browser without a client') } }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error);
      assert.equal((err as Error & { code?: string }).code, 'settings_invalid');
      assert.match(err.message, /refused to register Sophon/);
      assert.match(err.message, /invalid_token/, 'the server\u2019s own error is named');
      assert.match(err.message, /Sophon\.OAuth\.closed\.ClientId/);
      await assert.rejects(readFile(join(home, 'config', 'oauth-registrations.json')), /ENOENT/);
    } finally {
      core.close();
      await cleanup();
    }
  });
});
