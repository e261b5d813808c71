import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Connection } from '../../../shared/connections';
import { openVault } from '../../../electron/core/vault/open-vault';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { tempHome } from '../../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { loginAndConsent } from '../oauth/drive';
import { call, openEvents, startDashboardProcess, type Dashboard } from './dashboard-process';

/** The last `oauth.progress` event of a phase in the stream text. */
function progress(text: string, phase: string): { authorizationUrl: string; connectionId: string | null; message: string | null } | null {
  const blocks = text.split('\n\n').filter((b) => b.startsWith('event: oauth.progress\n'));
  for (const b of blocks.reverse()) {
    const data = JSON.parse(b.slice(b.indexOf('data: ') + 6)) as { phase: string; authorizationUrl: string; connectionId: string | null; message: string | null };
    if (data.phase === phase) return data;
  }
  return null;
}

describe('OAuth through the REST API: the sign-in URL goes to the UI as an event, the operation completes on the redirect', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let server: TestOidcServer;
  let browser: Browser;
  let d: Dashboard;
  let id = '';

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 30 });
    browser = await launchBrowser();
    home = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } });
    await mkdir(join(home.home, 'connectors'));
    await writeFile(join(home.home, 'connectors', 'oidc.json'), JSON.stringify({ ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] }));
    d = await startDashboardProcess(home.home);
  });

  afterAll(async () => {
    await d?.stop();
    await browser?.close();
    await server?.close();
    await home?.cleanup();
  });

  async function signIn<T>(operation: string, input: unknown, login = 'ada'): Promise<{ result: T; events: string }> {
    const events = openEvents(d, d.token);
    await events.waitFor(': connected');
    const pending = call(d, d.token, operation, input);
    try {
      await events.waitFor('"phase":"waiting"', 15_000);
      const waiting = progress(events.text(), 'waiting')!;
      assert.match(waiting.authorizationUrl, new RegExp(`^${server.issuer}/`));
      const { context, page } = await freshPage(browser);
      try {
        await page.goto(waiting.authorizationUrl);
        await loginAndConsent(page, { login });
        const r = await pending;
        assert.equal(r.status, 200, r.body);
        await events.waitFor('"phase":"completed"');
        return { result: r.json().value as T, events: events.text() };
      } finally {
        await context.close();
      }
    } finally {
      events.close();
    }
  }

  test('connections.add: progress event with the address, consent in a browser, the connection active with its scopes', async () => {
    const { result, events } = await signIn<{ connection: Connection; test: { status: string } | null }>('connections.add', { serviceId: 'oidc', label: 'Ada' });
    id = result.connection.id;
    assert.equal(result.connection.state, 'active');
    assert.equal(result.connection.label, 'Ada');
    assert.ok(result.connection.scopes.includes('openid'));
    assert.equal(result.connection.secretHint, null);
    assert.equal(progress(events, 'completed')?.connectionId, id);
    const stored = (await (await openVault({ home: home.home })).vault.get('default', id))!;
    assert.ok(stored.accessToken && stored.refreshToken);
    assert.ok(!events.includes(stored.accessToken) && !events.includes(stored.refreshToken));
    assert.ok(!JSON.stringify(result).includes(stored.accessToken));
  });

  test('connections.reauth keeps the id; connections.refresh gets a new token from the server', async () => {
    const { result } = await signIn<{ connection: Connection }>('connections.reauth', { connection: id });
    assert.equal(result.connection.id, id);
    const before = server.tokenRequests('refresh_token');
    const r = await call(d, d.token, 'connections.refresh', { connection: id });
    assert.equal(r.status, 200, r.body);
    assert.equal(server.tokenRequests('refresh_token'), before + 1);
  });

  test('a denied consent fails the operation with a clear message and a failed progress event', async () => {
    const events = openEvents(d, d.token);
    await events.waitFor(': connected');
    const pending = call(d, d.token, 'connections.add', { serviceId: 'oidc', label: 'Denied' });
    try {
      await events.waitFor('"phase":"waiting"', 15_000);
      const { context, page } = await freshPage(browser);
      try {
        await page.goto(progress(events.text(), 'waiting')!.authorizationUrl);
        await loginAndConsent(page, { consent: 'deny' });
        const r = await pending;
        assert.equal(r.json().ok, false);
        assert.ok(r.status >= 400 && r.status < 600);
        assert.ok(r.json().error!.message.length > 10);
        await events.waitFor('"phase":"failed"');
      } finally {
        await context.close();
      }
    } finally {
      events.close();
    }
    const list = (await call(d, d.token, 'connections.list')).json().value as { connections: Connection[] };
    assert.ok(!list.connections.some((c) => c.label === 'Denied'), 'nothing was stored');
  });

  test('connections.remove revokes at the server', async () => {
    const r = await call(d, d.token, 'connections.remove', { connection: id });
    assert.equal(r.status, 200, r.body);
    assert.equal((r.json().value as { revocation: string }).revocation, 'revoked');
  });
});
