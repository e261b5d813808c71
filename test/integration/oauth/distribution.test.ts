// The distribution file of OAuth client registrations (build/oauth-clients.json, shipped with the app):
// used when the person set nothing, overridden by their setting, its client secret kept in the vault.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ServiceDefinition } from '../../../electron/core/catalog/schema';
import { distributionClientsFile } from '../../../electron/core/config/distribution-clients';
import { createCore } from '../../../electron/core/sophon-core';
import { distributionSecretName } from '../../../electron/core/vault/system-secrets';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { filesUnder, forms } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { browserOpener } from './drive';

const CONFIDENTIAL = 'sophon-shipped';
const SHIPPED_SECRET = 'shipped-client-secret-CANARY-7a1b2c3d4e5f';

describe('OAuth client registrations shipped in the distribution file', () => {
  let server: TestOidcServer;
  let browser: Browser;
  let service: ServiceDefinition;
  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 600, confidentialClient: { id: CONFIDENTIAL, secret: SHIPPED_SECRET } });
    browser = await launchBrowser();
    service = { ...server.service({ id: 'shipped', clientSecretRequired: true }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] };
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function setup(settings: object) {
    const h = await tempHome(settings);
    await mkdir(join(h.home, 'connectors'));
    await writeFile(join(h.home, 'connectors', 'shipped.json'), JSON.stringify(service));
    const file = join(h.home, 'dist-oauth-clients.json');
    await writeFile(file, JSON.stringify({ shipped: { clientId: CONFIDENTIAL, clientSecret: SHIPPED_SECRET, redirect: 'loopback', notes: 'test registration' } }));
    return { ...h, env: { ...process.env, SOPHON_OAUTH_CLIENTS_FILE: file } };
  }

  test('with no user setting, sign-in uses the shipped client; its secret moves into the vault and appears in no file under SOPHON_HOME', async () => {
    const { home, cleanup, env } = await setup({ Sophon: { Vault: { KeyProtector: 'file' } } });
    const core = await createCore({ home, env });
    try {
      const { context, page } = await freshPage(browser);
      const opener = browserOpener(page, { login: 'ada' });
      const { connection } = await core.connections.add('default', { serviceId: 'shipped', oauth: { openUrl: opener.openUrl, timeoutMs: 60_000 } });
      await opener.done;
      await context.close();
      assert.equal(connection.state, 'active');
      assert.equal(connection.account, 'ada@example.test');
      // The confidential client authenticated with the shipped secret (the server refuses it otherwise).
      assert.equal(server.tokenRequests('authorization_code') > 0, true);
      assert.equal(await core.systemSecrets.get(distributionSecretName('shipped')), SHIPPED_SECRET);
      assert.doesNotMatch(await readFile(join(home, 'config', 'appsettings.json'), 'utf8'), /ClientId|ClientSecret/);
      const credential = await core.credentials.read({ userId: 'default', connectionId: connection.id });
      const leaks: string[] = [];
      for (const file of await filesUnder(home)) {
        if (file.endsWith('dist-oauth-clients.json')) continue; // the shipped file itself, placed here by the test
        const text = (await readFile(file)).toString('latin1');
        for (const secret of [SHIPPED_SECRET, String(credential?.accessToken)]) if (forms(secret).some((f) => text.includes(f))) leaks.push(file);
      }
      assert.deepEqual(leaks, []);
    } finally {
      core.close();
      await cleanup();
    }
  });

  test('the person\u2019s own setting wins over the shipped registration', async () => {
    const { home, cleanup, env } = await setup({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { shipped: { ClientId: PUBLIC_CLIENT } } } });
    const core = await createCore({ home, env });
    try {
      // A public client with clientSecretRequired: the person's setting has no secret, so the shipped one must not be used.
      const err = await core.connections.add('default', { serviceId: 'shipped', oauth: { openUrl: async () => assert.fail('must not sign in') } }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      assert.match(String(err?.message), /requires a client secret/);
      assert.equal(await core.systemSecrets.get(distributionSecretName('shipped')), null, 'the shipped secret was not touched');
    } finally {
      core.close();
      await cleanup();
    }
  });

  test('a malformed distribution file is an error naming the file and the field', async () => {
    const { home, cleanup, env } = await setup({ Sophon: { Vault: { KeyProtector: 'file' } } });
    await writeFile(env.SOPHON_OAUTH_CLIENTS_FILE, JSON.stringify({ shipped: { clientID: 'x' } }));
    const core = await createCore({ home, env });
    try {
      const err = await core.connections.add('default', { serviceId: 'shipped', oauth: {} }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      assert.match(String(err?.message), /dist-oauth-clients\.json/);
      assert.match(String(err?.message), /shipped: unknown key "clientID"; valid keys: clientId, clientSecret, redirect, notes/);
    } finally {
      core.close();
      await cleanup();
    }
  });

  test('the repository ships an empty file, found next to the CLI', async () => {
    const file = distributionClientsFile({});
    assert.ok(file, 'a path is resolved');
    assert.deepEqual(JSON.parse(await readFile(new URL('../../../build/oauth-clients.json', import.meta.url), 'utf8')), {});
  });
});
