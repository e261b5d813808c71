import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { createOAuthClient, type OAuthClient } from '../../electron/core/oauth/client';
import { launchBrowser } from './browser';
import { PUBLIC_CLIENT, startOidcServer, type OidcServerOptions, type TestOidcServer } from './oidc-server';

export interface OidcFixture {
  server: TestOidcServer;
  browser: Browser;
  client: OAuthClient;
}

/** A real OIDC server, Chromium and a client for it, for the suite this is called in; all closed after it. */
export function useOidcFixture(options: OidcServerOptions = {}): OidcFixture {
  const fixture = {} as OidcFixture;
  beforeAll(async () => {
    fixture.server = await startOidcServer(options);
    fixture.browser = await launchBrowser();
    fixture.client = await createOAuthClient(fixture.server.service(), { clientId: PUBLIC_CLIENT });
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.server?.close();
  });
  return fixture;
}
