import type { ServiceDefinitionInput } from '../schema';
import { BEARER } from './shared';

const group = 'Developer';
const githubTest = {
  kind: 'http',
  method: 'GET',
  path: '/user',
  headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
} as const;

export const DEVELOPER_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'github',
    name: 'GitHub',
    group,
    family: 'github',
    description: 'Sign in with GitHub (OAuth app). For fine-grained read-only access use a personal access token (github-pat).',
    auth: {
      method: 'oauth2',
      oauth: {
        authorizationUrl: 'https://github.com/login/oauth/authorize',
        tokenUrl: 'https://github.com/login/oauth/access_token',
        deviceAuthorizationUrl: 'https://github.com/login/device/code',
        // Revocation is DELETE /applications/{client_id}/token with client credentials, not RFC 7009.
        pkce: true,
        // GitHub does not distinguish public clients: the web-flow exchange wants client_secret even with PKCE.
        clientSecretRequired: true,
        setup: {
          consoleUrl: 'https://github.com/settings/applications/new',
          appType: 'OAuth App (Settings \u2192 Developer settings \u2192 OAuth Apps \u2192 New OAuth App)',
          redirect: 'loopback',
          steps: [
            'Enter the redirect URI below as the "Authorization callback URL"; any page about your install will do as the homepage URL.',
            'Tick "Enable Device Flow" to allow sign-in with a code.',
            'Generate a client secret: GitHub wants it for the browser sign-in even with PKCE.',
          ],
          verified:
            'Loopback callback on any port ("the redirect_uri does not need to match the port specified in the callback URL"): docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps. The secret with PKCE and the device-flow switch: GitHub changelog 2025-07-14 and the catalog facts, not re-read.',
        },
      },
      secretLabel: 'Access token',
    },
    // OAuth-app scopes have no read-only private-repo scope; no scope at all already gives public read.
    defaultScopes: ['read:user'],
    apiBaseUrl: 'https://api.github.com',
    allowedHosts: ['api.github.com'],
    attach: BEARER,
    test: githubTest,
    docsUrl: 'https://docs.github.com/rest',
    unverified: ['The token endpoint answers JSON only with "Accept: application/json" (from the facts file, not re-checked).'],
  },
  {
    id: 'github-pat',
    name: 'GitHub (personal access token)',
    group,
    family: 'github',
    description: 'A fine-grained or classic personal access token.',
    auth: { method: 'bearer', secretLabel: 'Personal access token' },
    apiBaseUrl: 'https://api.github.com',
    allowedHosts: ['api.github.com'],
    attach: BEARER,
    test: githubTest,
    docsUrl: 'https://docs.github.com/rest/authentication/authenticating-to-the-rest-api',
  },
  {
    id: 'gitlab',
    name: 'GitLab',
    group,
    family: 'gitlab',
    description: 'Sign in with GitLab.com. Self-managed instances can be added as a connector file.',
    auth: {
      method: 'oauth2',
      oauth: {
        authorizationUrl: 'https://gitlab.com/oauth/authorize',
        tokenUrl: 'https://gitlab.com/oauth/token',
        revocationUrl: 'https://gitlab.com/oauth/revoke',
        deviceAuthorizationUrl: 'https://gitlab.com/oauth/authorize_device',
        issuer: 'https://gitlab.com',
        pkce: true,
        setup: {
          consoleUrl: 'https://gitlab.com/-/user_settings/applications',
          appType: 'Add new application, "Confidential" unticked (a public client)',
          redirect: 'loopback',
          steps: ['Enter the redirect URI below and tick the scopes below.', 'No client secret: Sophon signs in with PKCE as a public client.'],
          verified: 'PKCE for public applications: docs.gitlab.com/api/oauth2. Unverified: the console address, and that gitlab.com accepts the loopback redirect on any port.',
        },
      },
      secretLabel: 'Access token',
    },
    defaultScopes: ['read_user'],
    apiBaseUrl: 'https://gitlab.com/api/v4',
    allowedHosts: ['gitlab.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/user' },
    docsUrl: 'https://docs.gitlab.com/api/oauth2',
    unverified: ['Device authorization endpoint https://gitlab.com/oauth/authorize_device (GitLab 17.1+).'],
  },
  {
    id: 'gitlab-pat',
    name: 'GitLab (personal access token)',
    group,
    family: 'gitlab',
    description: 'A GitLab.com personal, project or group access token (glpat-…).',
    auth: { method: 'api_key', secretLabel: 'Access token' },
    apiBaseUrl: 'https://gitlab.com/api/v4',
    allowedHosts: ['gitlab.com'],
    attach: [{ in: 'header', name: 'PRIVATE-TOKEN', value: '{secret}' }],
    test: { kind: 'http', method: 'GET', path: '/user' },
    docsUrl: 'https://docs.gitlab.com/api/rest/authentication',
  },
];
