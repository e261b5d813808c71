// "Connect by URL" through the CLI against oidc-provider with open registration: `connect add --url` on
// an API that answers 401 with protected resource metadata (RFC 9728), and `connect add --issuer`.
// Sophon discovers the server, registers itself (RFC 7591), signs in with PKCE (and the RFC 8707
// resource indicator) in Chromium, and the result is an ordinary connection whose calls work.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Connection } from '../../../shared/connections';
import { createCore } from '../../../electron/core/sophon-core';
import { registrationTokenName } from '../../../electron/core/vault/system-secrets';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { API_SCOPE, startProtectedApi, type ProtectedApi } from '../../helpers/protected-api';
import { loginAndConsent } from '../oauth/drive';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

describe('connect add --url (RFC 9728) and --issuer: discovered, registered, signed in, used', async () => {
  let server: TestOidcServer;
  let api: ProtectedApi;
  let browser: Browser;
  const { home, cleanup } = await tempHome();

  beforeAll(async () => {
    let issuer = '';
    api = await startProtectedApi({ issuer: () => issuer, provider: () => server.provider });
    server = await startOidcServer({ registration: 'open', accessTokenTtl: 600, resources: [{ url: api.url, scope: API_SCOPE }] });
    issuer = server.issuer;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await api?.close();
    await cleanup();
  });

  /** Runs a sign-in command with --no-browser and completes it in Chromium from the address it prints. */
  async function signInVia(args: string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [BIN, ...args, '--no-browser'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1', DISPLAY: ':0' } });
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /open this address in a browser:\n\s+(\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`exited before printing a sign-in address: ${stderr}`)));
      });
      const { context, page } = await freshPage(browser);
      try {
        await page.goto(url);
        await loginAndConsent(page, { login: 'ada' });
        return { code: await exited, stdout, stderr };
      } finally {
        await context.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  let apiConnection = '';
  test('--url: the API\u2019s 401 leads to its authorization server; Sophon registers, signs in for that resource, and the connection calls the API', async () => {
    const r = await signInVia(['connect', 'add', '--url', api.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    // --no-browser says only what is true: nothing is opened.
    assert.doesNotMatch(r.stderr, /in your browser|If it does not open/);
    const { connection, test: t } = json<{ connection: Connection; test: { status: string; message: string } }>(r);
    apiConnection = connection.id;
    assert.equal(t.status, 'ok', t.message);
    assert.equal(connection.state, 'active');
    assert.equal(connection.account, 'ada@example.test');
    assert.ok(connection.scopes.includes(API_SCOPE), connection.scopes.join(' '));
    assert.deepEqual(api.served, ['ada'], 'the test call reached the API with a token issued for it');

    const connector = JSON.parse(await readFile(join(home, 'connectors', `${connection.serviceId}.json`), 'utf8')) as { apiBaseUrl: string; auth: { oauth: { issuer: string; resource: string } } };
    assert.equal(connector.apiBaseUrl, api.url);
    assert.deepEqual([connector.auth.oauth.issuer, connector.auth.oauth.resource], [server.issuer, api.url]);
  });

  test('--url: a refresh keeps the token bound to the API, and a call through the core works', async () => {
    const before = server.tokenRequests('refresh_token');
    const r = await sophon(['connect', 'refresh', apiConnection], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.tokenRequests('refresh_token'), before + 1);
    const core = await createCore({ home });
    try {
      const token = await core.connections.accessToken('default', apiConnection, { waitMs: 0 });
      const res = await fetch(api.url, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, 'the refreshed token is still for this API');
    } finally {
      core.close();
    }
  });

  test('--issuer: an issuer alone is enough; the connection tests against its userinfo endpoint', async () => {
    const r = await signInVia(['connect', 'add', '--issuer', server.issuer, '--id', 'my-issuer', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { connection, test: t } = json<{ connection: Connection; test: { status: string; message: string } }>(r);
    assert.equal(connection.serviceId, 'my-issuer');
    assert.equal(t.status, 'ok', t.message);
    assert.equal(connection.account, 'ada@example.test');
    const t2 = await sophon(['connect', 'test', connection.id], { home });
    assert.equal(t2.code, 0, t2.stderr);
  });

  test('no registration access token or OAuth token is stored outside the vault', async () => {
    const core = await createCore({ home });
    const secrets: string[] = [];
    try {
      for (const id of [await core.connections.status('default', apiConnection).then((c) => c.serviceId), 'my-issuer']) {
        const rat = await core.systemSecrets.get(registrationTokenName(id));
        assert.ok(rat, `a registration token for ${id} is in the vault`);
        secrets.push(rat);
      }
      for (const c of await core.connections.list('default')) {
        const cred = await core.credentials.read({ userId: 'default', connectionId: c.id });
        for (const s of [cred?.accessToken, cred?.refreshToken]) if (s) secrets.push(s);
      }
    } finally {
      core.close();
    }
    const leaks: string[] = [];
    for (const file of await filesUnder(home)) {
      const text = (await readFile(file)).toString('latin1');
      if (secrets.some((s) => forms(s).some((f) => text.includes(f)))) leaks.push(file);
    }
    assert.deepEqual(leaks, []);
  });

  test('bad input: neither or both of a service and a URL; an API that does not ask for OAuth', async () => {
    const none = await sophon(['connect', 'add'], { home });
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /one of: a service id, --issuer <url>, or --url <url>/);
    const notOAuth = await sophon(['connect', 'add', '--url', `${server.issuer}/nowhere`], { home });
    assert.notEqual(notOAuth.code, 0);
    assert.match(notOAuth.stderr, /without asking for OAuth|publishes no protected resource metadata/);
  });
});
