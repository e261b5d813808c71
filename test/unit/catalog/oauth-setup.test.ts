import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { builtinEntries, validateConnectorText } from '../../../electron/core/catalog/catalog';
import { ServiceSchema } from '../../../electron/core/catalog/schema';
import { clientReady, clientSourceOf, type ClientSourceFiles } from '../../../electron/core/config/oauth-client-source';
import { SettingsSchema } from '../../../electron/core/config/settings';
import { setupGuide } from '../../../electron/core/oauth/setup-guide';

const oauthServices = builtinEntries()
  .map((e) => e.service)
  .filter((s) => s.auth.method === 'oauth2');

describe('OAuth setup facts in the catalog', () => {
  test('every built-in OAuth service says where to register, what to choose, and what its facts were checked against', () => {
    assert.ok(oauthServices.length >= 20, `OAuth services: ${oauthServices.length}`);
    for (const s of oauthServices) {
      const setup = s.auth.oauth?.setup;
      assert.ok(setup, `${s.id} has setup facts`);
      assert.match(setup.consoleUrl, /^https:\/\//, s.id);
      assert.ok(setup.appType.length > 3, s.id);
      // Either a public page named, or "unverified" said plainly.
      assert.match(setup.verified, /[a-z]+\.[a-z]+\/|Unverified/, s.id);
    }
  });

  test('the guide: Google needs no redirect entered and a secret; GitHub the loopback redirect, a secret, the device flow; Slack its user scopes', () => {
    const by = (id: string) => oauthServices.find((s) => s.id === id)!;
    const gmail = setupGuide(by('gmail'));
    assert.deepEqual([gmail.redirect, gmail.redirectUris, gmail.secretRequired, gmail.deviceFlow], ['loopback-automatic', [], true, false]);
    assert.match(gmail.steps[0]!, /Gmail API/);
    const github = setupGuide(by('github'));
    assert.deepEqual([github.redirectUris, github.secretRequired, github.deviceFlow, github.scopes], [['http://127.0.0.1/callback'], true, true, ['read:user']]);
    const outlook = setupGuide(by('outlook-mail'));
    assert.deepEqual([outlook.secretRequired, outlook.deviceFlow], [false, true]);
    assert.deepEqual(setupGuide(by('slack')).scopes, ['channels:read', 'users:read']);
  });

  test('a connector may carry the same facts; an unknown key in them lists the valid ones', () => {
    const connector = (setup: object) =>
      JSON.stringify({
        id: 'my-idp',
        name: 'My IdP',
        group: 'Generic',
        auth: { method: 'oauth2', oauth: { authorizationUrl: 'https://idp.example/auth', tokenUrl: 'https://idp.example/token', setup } },
        apiBaseUrl: 'https://api.example',
        allowedHosts: ['api.example'],
        attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
        test: { kind: 'http', path: '/me' },
      });
    const ok = validateConnectorText(connector({ consoleUrl: 'https://idp.example/apps', appType: 'Native app', verified: 'unverified' }));
    assert.ok(ok.ok, ok.ok ? '' : ok.message);
    assert.equal(ok.service.auth.oauth?.setup?.redirect, 'loopback');
    const bad = validateConnectorText(connector({ consoleUrl: 'https://idp.example/apps', appType: 'Native app', verified: 'x', redirectUri: 'http://x' }));
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.message, /unknown key "redirectUri"; valid keys: consoleUrl, appType, redirect, redirectPort, steps, verified/);
  });

  test('where the client comes from: the setting, then the distribution file, then a registration at the same issuer, then registering now', () => {
    const service = ServiceSchema.parse({
      id: 'idp',
      name: 'IdP',
      group: 'Generic',
      auth: { method: 'oauth2', oauth: { issuer: 'https://idp.example' } },
      apiBaseUrl: 'https://idp.example',
      allowedHosts: ['idp.example'],
      test: { kind: 'http', path: '/me' },
    });
    const settings = (oauth: object) => SettingsSchema.parse({ Sophon: { OAuth: oauth } });
    const none: ClientSourceFiles = { distribution: {}, registrations: {} };
    assert.equal(clientSourceOf(service, settings({ idp: { ClientId: 'mine' } }), { ...none, distribution: { idp: { clientId: 'shipped', redirect: 'loopback' } } }), 'setting');
    assert.equal(clientSourceOf(service, settings({}), { ...none, distribution: { idp: { clientId: 'shipped', redirect: 'loopback' } } }), 'distribution');
    const registered = { idp: { ClientId: 'reg', Issuer: 'https://idp.example/', RegisteredAt: '2026-01-01T00:00:00Z' } };
    assert.equal(clientSourceOf(service, settings({}), { ...none, registrations: registered }), 'registered');
    const elsewhere = { idp: { ...registered.idp, Issuer: 'https://other.example' } };
    assert.equal(clientSourceOf(service, settings({}), { ...none, registrations: elsewhere }), 'dynamic');
    const noRegistration = ServiceSchema.parse({ ...service, auth: { method: 'oauth2', oauth: { issuer: 'https://idp.example', dynamicRegistration: false } } });
    assert.equal(clientSourceOf(noRegistration, settings({}), none), 'none');
    assert.deepEqual((['setting', 'distribution', 'registered', 'dynamic', 'none'] as const).map(clientReady), [true, true, true, false, false]);
    // Google names an issuer but registers no clients itself: without a shipped client, the guided setup.
    const gmail = builtinEntries().find((e) => e.service.id === 'gmail')!.service;
    assert.equal(clientSourceOf(gmail, settings({}), none), 'none');
  });

  test('a fixed-port redirect: the port is required with it and only with it; the guide shows the exact URI', () => {
    const base = { consoleUrl: 'https://developer.example.test/', appType: 'OAuth 2.0 app', verified: 'Unverified: test' };
    const withSetup = (setup: Record<string, unknown>) => {
      const s = structuredClone(oauthServices[0]!) as unknown as { auth: { oauth: Record<string, unknown> } };
      s.auth.oauth.setup = { ...base, ...setup };
      return ServiceSchema.safeParse(s);
    };
    const ok = withSetup({ redirect: 'loopback-fixed-port', redirectPort: 8765 });
    assert.ok(ok.success, JSON.stringify(ok.error?.issues));
    assert.deepEqual(setupGuide(ok.data).redirectUris, ['http://127.0.0.1:8765/callback']);
    const missing = withSetup({ redirect: 'loopback-fixed-port' });
    assert.ok(!missing.success);
    assert.match(JSON.stringify(missing.error.issues), /redirectPort/);
    assert.ok(!withSetup({ redirect: 'loopback', redirectPort: 8765 }).success, 'a port without the fixed-port rule would be ignored: refused');
  });
});
