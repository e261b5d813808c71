// A connection that flips to needs_reauth in the middle of an MCP session, against oidc-provider: its refresh
// token is revoked and its access token has run out, so the next call's refresh is refused. The server sends
// the person to the connection's page (URL elicitation), the person signs in again in Chromium, and the call
// that was waiting completes with the new credential.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { CallToolResult, ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { forms } from '../../helpers/canary';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { tempHome } from '../../helpers/home';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { startDashboard, type Dashboard } from '../../e2e/dashboard-helpers';
import { browserOpener } from '../oauth/drive';

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('sophon mcp: a connection that needs re-auth mid-session is signed in again through URL elicitation', async () => {
  let server: TestOidcServer;
  let browser: Browser;
  let core: CoreWithInternals;
  let dashboard: Dashboard;
  let session: McpSession | undefined;
  const { home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } });
  let id = '';

  /** The person signing in to the provider in a browser, as `connect add` / re-auth open it. */
  async function signIn<T>(run: (openUrl: (url: string) => Promise<void>) => Promise<T>): Promise<T> {
    const { context, page } = await freshPage(browser);
    try {
      const opener = browserOpener(page, { login: 'ada' });
      const out = await run(opener.openUrl);
      await opener.done;
      return out;
    } finally {
      await context.close();
    }
  }

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 600 });
    browser = await launchBrowser();
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify({ ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] }));
    core = await openCoreInternals({ home });
    id = (await signIn((openUrl) => core.connections.add('default', { serviceId: 'oidc', oauth: { openUrl } }))).connection.id;
    dashboard = await startDashboard(home);
  });
  afterAll(async () => {
    await session?.close().catch(() => undefined);
    await dashboard?.stop();
    core?.close();
    await browser?.close();
    await server?.close();
    await cleanup();
  });

  test('revoked refresh token, expired access token: elicitation to the connection page, re-auth, and the call completes', async () => {
    let reauth: Promise<unknown> = Promise.resolve();
    const asked: ElicitRequest['params'][] = [];
    session = await startMcp(home, {
      name: 'Long Runner',
      url: true,
      elicit: (p) => {
        asked.push(p);
        // The person opens the page and signs in again (the same re-auth the page's button runs).
        reauth = signIn((openUrl) => core.connections.reauth('default', id, { openUrl }));
        return { action: 'accept' };
      },
    });
    const first = (await session.client.callTool({ name: 'http_request', arguments: { connection: id, path: '/me' } })) as CallToolResult;
    assert.equal((first.structuredContent as { status: number }).status, 200, text(first));

    // Mid-session: the provider forgets the grant, and the access token Sophon holds has run out.
    const cred = await core.credentials.read({ userId: 'default', connectionId: id });
    assert.ok(cred?.refreshToken);
    const revoked = await fetch(`${server.issuer}/token/revocation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: cred.refreshToken, token_type_hint: 'refresh_token', client_id: PUBLIC_CLIENT }) });
    assert.equal(revoked.status, 200);
    await core.vault.put('default', id, { ...cred, expiresAt: Date.now() - 1_000 });
    const refreshes = server.tokenRequests('refresh_token');

    const r = (await session.client.callTool({ name: 'http_request', arguments: { connection: id, path: '/me' } })) as CallToolResult;
    await reauth;
    assert.equal(r.isError, undefined, text(r));
    const out = r.structuredContent as { status: number; body: string };
    assert.equal(out.status, 200);
    assert.equal((JSON.parse(out.body) as { sub: string }).sub, 'ada');
    assert.ok(server.tokenRequests('refresh_token') > refreshes, 'the refused refresh was tried');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.mode, 'url');
    assert.equal((asked[0] as { url: string }).url, `${dashboard.origin}/#/connection/${id}`);
    assert.match(asked[0]!.message, /needs you to sign in again before long-runner can use it/);
    assert.ok(session.messages.some((m) => m.includes('notifications/elicitation/complete')));
    assert.equal((await core.connections.status('default', id)).state, 'active');

    // Neither the old nor the new tokens appear in any MCP message.
    const now = await core.credentials.read({ userId: 'default', connectionId: id });
    const all = session.messages.join('\n') + session.stderr();
    for (const secret of [cred.accessToken!, cred.refreshToken, now!.accessToken!, now!.refreshToken!]) for (const f of forms(secret)) assert.ok(!all.includes(f), 'a token reached an MCP message');
  });
});
