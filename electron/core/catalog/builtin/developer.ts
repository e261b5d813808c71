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
