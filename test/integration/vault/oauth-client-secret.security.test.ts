import assert from 'node:assert/strict';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Envelope, Out } from '../../../shared/contract';
import { dispatch } from '../../../electron/core/api/dispatch';
import { createOperations, type Caller } from '../../../electron/core/api/operations';
import { clientSecretFor } from '../../../electron/core/config/oauth-clients';
import { type CreateCoreOptions } from '../../../electron/core/sophon-core';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { launchBrowser, freshPage } from '../../helpers/browser';
import { filesUnder, forms } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';
import { startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { bearerService, catalogOf } from '../../helpers/services';
import { browserOpener } from '../oauth/drive';

const admin: Caller = { userId: 'default', isAdmin: true };
const CONFIDENTIAL = 'sophon-confidential';
const CLIENT_SECRET = 'client-secret-CANARY-5e0c1f2a9b8d7c6e';

/** Every file under the home that holds the secret in a common encoding (vault files are sealed, so none should). */
async function filesHolding(home: string, secret: string): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(home)) {
    const text = (await readFile(file)).toString('latin1');
    if (forms(secret).some((f) => text.includes(f))) hits.push(file);
  }
  return hits;
}

function operations(core: CoreWithInternals) {
  const ops = createOperations({ core, ownerUserId: admin.userId, emit: () => undefined });
  return async <T>(name: string, input: unknown): Promise<{ value: T; text: string }> => {
    const envelope: Envelope = await dispatch(ops, admin, name, input);
    const text = JSON.stringify(envelope);
    assert.ok(envelope.ok, text);
    return { value: envelope.value as T, text };
  };
}

type SettingsView = Out<'settings.get'>['settings'];

describe('OAuth client secrets live in the vault, never in appsettings.json or a response', () => {
  let server: TestOidcServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 60, confidentialClient: { id: CONFIDENTIAL, secret: CLIENT_SECRET } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  const catalog = () => catalogOf({ ...server.service({ id: 'oidc', clientSecretRequired: true }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] }, bearerService('api', 'http://127.0.0.1:9'));
  const open = (home: string, extra: Partial<CreateCoreOptions> = {}) => openCoreInternals({ home, catalog: catalog(), ...extra });

  test('settings.set: only "set" in the file and in settings.get; the secret authenticates the real token exchange', async () => {
    const { home, cleanup } = await tempHome();
    try {
      let core = await open(home);
      const call = operations(core);
      const set = await call<{ settings: SettingsView }>('settings.set', { oauthClients: { oidc: { clientId: CONFIDENTIAL, clientSecret: CLIENT_SECRET } } });
      assert.deepEqual(set.value.settings.oauthClients.oidc, { clientId: CONFIDENTIAL, clientSecretSet: true });
      const got = await call<{ settings: SettingsView }>('settings.get', {});
      assert.deepEqual(got.value.settings.oauthClients.oidc, { clientId: CONFIDENTIAL, clientSecretSet: true });
      for (const r of [set, got]) assert.ok(!forms(CLIENT_SECRET).some((f) => r.text.includes(f)), 'no secret in a response');

      const file = JSON.parse(await readFile(join(home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { OAuth: Record<string, unknown> } };
      assert.deepEqual(file.Sophon.OAuth.oidc, { ClientId: CONFIDENTIAL, ClientSecretInVault: true });
      assert.deepEqual(await filesHolding(home, CLIENT_SECRET), [], 'the secret is in no file of SOPHON_HOME');
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);

      // A confidential client: the exchange succeeds only with the secret read back from the vault.
      const before = server.tokenRequests('authorization_code');
      const { context, page } = await freshPage(browser);
      try {
        const opener = browserOpener(page, { login: 'ada' });
        const added = await core.connections.add('default', { serviceId: 'oidc', label: 'Ada', test: false, oauth: { openUrl: opener.openUrl, timeoutMs: 60_000 } });
        await opener.done;
        assert.equal(added.connection.state, 'active');
      } finally {
        await context.close();
      }
      assert.equal(server.tokenRequests('authorization_code'), before + 1);

      // And it is that secret: a wrong one set the same way fails the same exchange at the server.
      await call('settings.set', { oauthClients: { oidc: { clientId: CONFIDENTIAL, clientSecret: 'not-the-client-secret' } } });
      const wrong = await freshPage(browser);
      try {
        const opener = browserOpener(wrong.page, { login: 'bea' });
        const err = await core.connections.add('default', { serviceId: 'oidc', label: 'Bea', test: false, oauth: { openUrl: opener.openUrl, timeoutMs: 60_000 } }).then(() => null, (e: unknown) => e);
        await opener.done.catch(() => undefined);
        assert.match(String(err), /invalid_client|client authentication/i);
      } finally {
        await wrong.context.close();
      }
      assert.equal(server.tokenRequests('authorization_code'), before + 2);
      await call('settings.set', { oauthClients: { oidc: { clientId: CONFIDENTIAL, clientSecret: CLIENT_SECRET } } });

      // Not a connection: listed nowhere, no unlisted file for verify, kept by reconcile on the next open.
      core.close();
      core = await open(home);
      assert.deepEqual((await core.connections.list('default')).map((c) => c.label), ['Ada']);
      assert.equal((await core.vault.list()).length, 1);
      const verify = await core.verifyVault();
      assert.deepEqual(verify.strays, []);
      assert.equal(verify.failures.length, 0);
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);

      // The secret is write-only: a new client id keeps it; removing the client removes it from the vault.
      const again = operations(core);
      await again('settings.set', { oauthClients: { oidc: { clientId: `${CONFIDENTIAL}-2` } } });
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);
      assert.equal((await again<{ settings: SettingsView }>('settings.get', {})).value.settings.oauthClients.oidc?.clientSecretSet, true);
      await again('settings.set', { oauthClients: { oidc: { clientId: null } } });
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), null);
      assert.equal((await again<{ settings: SettingsView }>('settings.get', {})).value.settings.oauthClients.oidc, undefined);
      core.close();
    } finally {
      await cleanup();
    }
  });

  test('a plaintext ClientSecret already in appsettings.json moves into the vault on open, the rest of the file kept; idempotent', async () => {
    const original = {
      Notes: 'kept as written',
      Sophon: {
        Vault: { KeyProtector: 'file' },
        Broker: { Port: 0 },
        OAuth: { oidc: { ClientId: CONFIDENTIAL, ClientSecret: CLIENT_SECRET, Comment: 'mine' }, github: { ClientId: 'public-only' } },
      },
    };
    const { home, cleanup } = await tempHome(original);
    const settingsFile = join(home, 'config', 'appsettings.json');
    try {
      let core = await open(home);
      assert.deepEqual(core.warnings, []);
      const moved = JSON.parse(await readFile(settingsFile, 'utf8')) as typeof original;
      assert.deepEqual(moved, {
        ...original,
        Sophon: { ...original.Sophon, OAuth: { oidc: { ClientId: CONFIDENTIAL, Comment: 'mine', ClientSecretInVault: true }, github: { ClientId: 'public-only' } } },
      });
      assert.deepEqual(await filesHolding(home, CLIENT_SECRET), []);
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);
      const view = (await operations(core)<{ settings: SettingsView }>('settings.get', {})).value.settings.oauthClients;
      assert.deepEqual(view, { oidc: { clientId: CONFIDENTIAL, clientSecretSet: true }, github: { clientId: 'public-only', clientSecretSet: false } });
      assert.equal(await clientSecretFor(core.settings, settingsFile, core.systemSecrets, 'oidc'), CLIENT_SECRET);
      core.close();

      const text = await readFile(settingsFile, 'utf8');
      core = await open(home);
      assert.deepEqual(core.warnings, []);
      assert.equal(await readFile(settingsFile, 'utf8'), text, 'a second open changes nothing');
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);
      core.close();
    } finally {
      await cleanup();
    }
  });

  test('a client secret counts as data under the key: with keyinfo.json gone, its header names the key and no new key is made', async () => {
    const { home, cleanup } = await tempHome();
    try {
      let core = await open(home);
      await operations(core)('settings.set', { oauthClients: { oidc: { clientId: CONFIDENTIAL, clientSecret: CLIENT_SECRET } } });
      const keyInfo = await readFile(join(home, 'security', 'keyinfo.json'), 'utf8');
      core.close();
      await rm(join(home, 'security', 'keyinfo.json'));
      core = await open(home);
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);
      assert.equal((JSON.parse(await readFile(join(home, 'security', 'keyinfo.json'), 'utf8')) as { keyId: string }).keyId, (JSON.parse(keyInfo) as { keyId: string }).keyId);
      core.close();
    } finally {
      await cleanup();
    }
  });

  test('with the vault key unavailable the file is left as it is, with a warning; moved once the key is back', async () => {
    const { home, cleanup } = await tempHome();
    const settingsFile = join(home, 'config', 'appsettings.json');
    const keyFile = join(home, 'security', 'vault.key');
    try {
      let core = await open(home);
      await core.connections.add('default', { serviceId: 'api', label: 'Keeps the key in use', secret: 'api-secret-0123456789', test: false });
      core.close();
      await rename(keyFile, `${keyFile}.away`);
      const text = JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: CONFIDENTIAL, ClientSecret: CLIENT_SECRET } } } });
      await writeFile(settingsFile, text);

      core = await open(home);
      assert.equal(core.warnings.length, 1, core.warnings.join('\n'));
      assert.match(core.warnings[0]!, /Sophon\.OAuth\.oidc\.ClientSecret .* is still in plain text: it could not be moved into the vault \(The vault key [0-9a-f]+ is missing/);
      assert.ok(!core.warnings[0]!.includes(CLIENT_SECRET));
      assert.equal(await readFile(settingsFile, 'utf8'), text, 'nothing lost: the file is untouched');
      assert.equal(await clientSecretFor(core.settings, settingsFile, core.systemSecrets, 'oidc'), CLIENT_SECRET, 'still usable meanwhile');
      core.close();

      await rename(`${keyFile}.away`, keyFile);
      core = await open(home);
      assert.deepEqual(core.warnings, []);
      assert.deepEqual(await filesHolding(home, CLIENT_SECRET), []);
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);
      core.close();
    } finally {
      await cleanup();
    }
  });
});
