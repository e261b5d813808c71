// 1,000 concurrent callers on an expired OAuth token against a real authorization server
// (oidc-provider): how many token requests the server saw, and how long after the token response
// left the server every caller held the new token.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOAuthClient } from '../electron/core/oauth/client';
import type { ConnectionRecord } from '../electron/core/connections/connection-store';
import { Credentials, needsRefresh, refreshStore } from '../electron/core/credentials';
import { createOAuthRefresher } from '../electron/core/oauth/refresh';
import { credentialFromTokens } from '../electron/core/oauth/tokens';
import { openVault } from '../electron/core/vault/open-vault';
import { launchBrowser } from '../test/helpers/browser';
import { PUBLIC_CLIENT, startOidcServer } from '../test/helpers/oidc-server';
import { signInWithBrowser } from '../test/integration/oauth/drive';

const CALLERS = 1_000;
const server = await startOidcServer({ accessTokenTtl: 2 });
const browser = await launchBrowser();
const home = await mkdtemp(join(tmpdir(), 'sophon-bench-oauth-'));
try {
  await mkdir(join(home, 'config'));
  await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
  const client = await createOAuthClient(server.service(), { clientId: PUBLIC_CLIENT });
  const opened = await openVault({ home });
  const r = createOAuthRefresher({ store: refreshStore(opened.vault), needsRefresh, clientFor: async () => client });
  // No sophon.db here: the connection's row is an active OAuth connection of the service.
  const row: ConnectionRecord = { id: 'oidc-1', userId: 'default', serviceId: client.service.id, label: 'oidc-1', authMethod: 'oauth2', scopes: [], fields: {}, state: 'active', stateReason: null, account: null, secretHint: null, createdAt: 0, updatedAt: 0, lastUsedAt: null, expiresAt: null, lastTestAt: null, lastTestStatus: null, lastTestMessage: null };
  const credentials = new Credentials({ vault: opened.vault, connection: () => row, service: async () => client.service, refresher: async () => r });
  await opened.vault.put('default', 'oidc-1', credentialFromTokens(await signInWithBrowser(browser, client)));

  let responseAt = 0;
  server.provider.on('grant.success', () => (responseAt = performance.now()));
  await new Promise((res) => setTimeout(res, 2_500));
  const before = server.tokenRequests('refresh_token');
  const started = performance.now();
  const done: number[] = [];
  const tokens = await Promise.all(
    Array.from({ length: CALLERS }, () =>
      credentials.resolve({ userId: 'default', connection: row, purpose: 'proxy' }).then(({ secret: t }) => {
        done.push(performance.now());
        return t;
      }),
    ),
  );
  const requests = server.tokenRequests('refresh_token') - before;
  const distinct = new Set(tokens).size;
  const lastAfterResponse = Math.max(...done) - responseAt;
  console.log(`\n## OAuth refresh: ${CALLERS} concurrent callers on an expired token (oidc-provider on loopback)\n`);
  console.log('| measure | value |');
  console.log('| --- | ---: |');
  console.log(`| token requests seen by the server | ${requests} |`);
  console.log(`| distinct tokens handed out | ${distinct} |`);
  console.log(`| first call → token response sent (ms) | ${(responseAt - started).toFixed(1)} |`);
  console.log(`| token response → last caller holds the token (ms) | ${lastAfterResponse.toFixed(1)} |`);
  console.log(`\ntargets: exactly 1 token request ${requests === 1 ? 'PASS' : 'MISS'}; every caller within 50 ms of the response ${lastAfterResponse <= 50 ? 'PASS' : 'MISS'}`);
} finally {
  await browser.close();
  await server.close();
  await rm(home, { recursive: true, force: true });
}
