// A real OpenID Connect server (oidc-provider) on 127.0.0.1 for the OAuth tests: PKCE required, short-lived
// access tokens, refresh-token rotation, revocation, device flow, a public native client with loopback
// redirects, login and consent pages a browser can complete (devInteractions), and a count of every
// token-endpoint request by grant type. A few switches make it misbehave on purpose (a failing token endpoint,
// a wrong `iss` on the redirect, `slow_down` for device polls).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { ServiceDefinition } from '../../electron/core/catalog/schema';
import { ServiceSchema } from '../../electron/core/catalog/schema';

export const PUBLIC_CLIENT = 'sophon-desktop';
/** Same client, but its access tokens live long: for tests that must not see a token expire under them. */
export const LONG_CLIENT = 'sophon-desktop-long';
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface TokenFailure {
  status: number;
  error: string;
  /** Only requests of this grant type fail (default: any). */
  grantType?: string;
}

export interface TestOidcServer {
  issuer: string;
  provider: Provider;
  /** Token-endpoint requests that reached the server, by grant type (injected failures included). */
  tokenRequests(grantType: string): number;
  /** The next `count` token requests (of `failure.grantType`, if set) get this error instead of an answer. */
  failTokenRequests(count: number, failure: TokenFailure): void;
  /** Redirects back to the app carry this `iss` instead of the real one (null: stop). */
  tamperIssuer(value: string | null): void;
  /** Whether a refresh issues a new refresh token (default true) or keeps the old one valid. */
  rotateRefreshTokens(on: boolean): void;
  /**
   * The next token request of `grantType` is held unanswered until `release()`; `reached` resolves
   * when it arrives (a test can then kill its sender mid-request).
   */
  holdTokenRequest(grantType: string): { reached: Promise<void>; release(): void };
  /** The next `count` device-code polls are answered `slow_down`. */
  slowDownDevicePolls(count: number): void;
  /** A catalog entry for this server (the OIDC issuer is discovered). */
  service(overrides?: Partial<ServiceDefinition['auth']['oauth']> & { id?: string; withIssuer?: boolean }): ServiceDefinition;
  close(): Promise<void>;
}

export interface OidcServerOptions {
  /** Access-token lifetime of PUBLIC_CLIENT in seconds (default 8). */
  accessTokenTtl?: number;
  /** Seconds between device-code polls the server asks for (default 1). */
  deviceInterval?: number;
  /** Also register a confidential native client that must authenticate with this secret (client_secret_basic or _post). */
  confidentialClient?: { id: string; secret: string };
  /**
   * Dynamic client registration (RFC 7591): off (default: no registration_endpoint), open to anyone, or
   * requiring an initial access token (so an anonymous registration is refused with `invalid_token`).
   */
  registration?: 'off' | 'open' | 'initial-token';
  /** Resource servers (RFC 8707) tokens may be issued for: their URL, and the scope they accept. */
  resources?: { url: string; scope: string }[];
}

export async function startOidcServer(options: OidcServerOptions = {}): Promise<TestOidcServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const shortTtl = options.accessTokenTtl ?? 8;
  const deviceInterval = options.deviceInterval ?? 1;

  const nativeClient = (id: string) => ({
    client_id: id,
    application_type: 'native' as const,
    token_endpoint_auth_method: 'none' as const,
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
    response_types: ['code' as const],
  });

  let rotate = true;
  const configuration: Configuration = {
    clients: [
      nativeClient(PUBLIC_CLIENT),
      nativeClient(LONG_CLIENT),
      ...(options.confidentialClient
        ? [{ ...nativeClient(options.confidentialClient.id), client_secret: options.confidentialClient.secret, token_endpoint_auth_method: 'client_secret_post' as const }]
        : []),
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      registration: { enabled: (options.registration ?? 'off') !== 'off', initialAccessToken: options.registration === 'initial-token' ? 'test-initial-access-token' : false },
      registrationManagement: { enabled: (options.registration ?? 'off') !== 'off' },
      resourceIndicators: {
        enabled: true,
        // Refreshes without a `resource` keep the audience the grant was given for.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          const rs = options.resources?.find((r) => r.url === indicator);
          if (!rs) throw new errors.InvalidTarget();
          return { scope: rs.scope, audience: rs.url, accessTokenFormat: 'opaque', accessTokenTTL: shortTtl };
        },
      },
    },
    ttl: {
      AccessToken: (_ctx, _token, client) => (client.clientId === LONG_CLIENT ? 3600 : shortTtl),
      IdToken: 3600,
      AuthorizationCode: 60,
      DeviceCode: 600,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
    },
    rotateRefreshToken: () => rotate,
    // Expired means expired: no grace, so tests can see an old access token refused.
    clockTolerance: 0,
    // Like most real providers, put the account's claims in the ID token too (Sophon labels accounts from it).
    conformIdTokenClaims: false,
    cookies: { keys: ['sophon-test-cookie-key-0123456789'] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        claims: () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: `Test ${id}` }),
      };
    },
  };

  const provider = new Provider(issuer, configuration);
  const counts = new Map<string, number>();
  const failures: { remaining: number; failure: TokenFailure }[] = [];
  let issOverride: string | null = null;
  let slowDowns = 0;
  let hold: { grantType: string; arrived: () => void; released: Promise<void> } | undefined;

  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    if (ctx.method === 'POST' && ctx.path === '/token') {
      // Read the form ourselves to see the grant type; oidc-provider then takes it from req.body.
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      (ctx.req as typeof ctx.req & { body?: string }).body = raw;
      const grantType = new URLSearchParams(raw).get('grant_type') ?? 'none';
      counts.set(grantType, (counts.get(grantType) ?? 0) + 1);
      const idx = failures.findIndex((f) => f.remaining > 0 && (f.failure.grantType === undefined || f.failure.grantType === grantType));
      const injected = idx >= 0 ? failures[idx] : undefined;
      if (injected) {
        injected.remaining--;
        ctx.status = injected.failure.status;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: injected.failure.error, error_description: 'injected by the test server' };
        return;
      }
      if (hold && hold.grantType === grantType) {
        const held = hold;
        hold = undefined;
        held.arrived();
        await held.released;
        ctx.status = 503;
        ctx.body = { error: 'temporarily_unavailable', error_description: 'held by the test server' };
        return;
      }
      if (grantType === DEVICE_GRANT && slowDowns > 0) {
        slowDowns--;
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: 'injected by the test server' };
        return;
      }
    }
    await next();
    // oidc-provider leaves `interval` out (clients then wait the RFC 8628 default of 5 s); real servers send it.
    if (ctx.method === 'POST' && ctx.path === '/device/auth' && ctx.status === 200 && typeof ctx.body === 'object' && ctx.body !== null) {
      ctx.body = { ...(ctx.body as Record<string, unknown>), interval: deviceInterval };
    }
    const location = ctx.response.get('location');
    if (issOverride !== null && location) {
      const url = new URL(location, issuer);
      if (url.hostname === '127.0.0.1' && url.port !== String(port) && url.searchParams.has('iss')) {
        url.searchParams.set('iss', issOverride);
        ctx.redirect(url.href);
      }
    }
  });

  // The test server speaks plain http on loopback; oidc-provider wants to know it is not behind a proxy.
  provider.proxy = false;
  server.on('request', provider.callback());

  return {
    issuer,
    provider,
    tokenRequests: (grantType) => counts.get(grantType) ?? 0,
    holdTokenRequest: (grantType) => {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const released = new Promise<void>((r) => (release = r));
      hold = { grantType, arrived, released };
      return { reached, release };
    },
    failTokenRequests: (count, failure) => {
      failures.push({ remaining: count, failure });
    },
    tamperIssuer: (value) => {
      issOverride = value;
    },
    rotateRefreshTokens: (on) => {
      rotate = on;
    },
    slowDownDevicePolls: (count) => {
      slowDowns = count;
    },
    service(overrides = {}) {
      const { id, withIssuer, ...oauth } = overrides;
      return ServiceSchema.parse({
        id: id ?? 'test-oidc',
        name: 'Test OIDC',
        group: 'Generic',
        auth: {
          method: 'oauth2',
          oauth: {
            authorizationUrl: `${issuer}/auth`,
            tokenUrl: `${issuer}/token`,
            revocationUrl: `${issuer}/token/revocation`,
            deviceAuthorizationUrl: `${issuer}/device/auth`,
            ...(withIssuer === false ? {} : { issuer }),
            // offline_access (a refresh token) is granted only with an explicit consent prompt.
            extraAuthorizationParams: { prompt: 'consent' },
            ...oauth,
          },
        },
        defaultScopes: ['openid', 'offline_access', 'email'],
        apiBaseUrl: issuer,
        allowedHosts: [`127.0.0.1:${port}`],
        test: { kind: 'http', path: '/me' },
        local: true,
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
