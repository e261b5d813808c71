import type { ServiceDefinitionInput, ServiceField } from '../schema';
import { ATLASSIAN_OAUTH, BEARER } from './shared';

const group = 'Work management';
type FieldInput = Partial<ServiceField> & Pick<ServiceField, 'name' | 'label'>;
const siteFields: FieldInput[] = [
  { name: 'site', label: 'Site name', help: 'The NAME in https://NAME.atlassian.net' },
  { name: 'email', label: 'Atlassian account email', kind: 'email' },
];
const basicAuth = { method: 'basic', fields: siteFields, secretLabel: 'API token' } as const;
const basicAttach = [{ in: 'basic', username: '{field.email}', password: '{secret}' }] as const;
// After OAuth the API lives under api.atlassian.com/ex/<product>/<cloudid>; accessible-resources lists the cloud ids.
const oauthTest = { kind: 'http', method: 'GET', path: 'https://api.atlassian.com/oauth/token/accessible-resources' } as const;
const OAUTH_UNVERIFIED = ['PKCE is not offered for Atlassian Cloud 3LO apps (third-party note).', 'There is no token revocation endpoint.'];
const TOKEN_NOTE = 'Atlassian says apps that collect users\u2019 API tokens do not meet its cloud-app security requirements; prefer OAuth where an app is registered.';

export const ATLASSIAN_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'jira',
    name: 'Jira Cloud (API token)',
    group,
    description: 'Jira Cloud with your email and an API token from id.atlassian.com.',
    auth: basicAuth,
    apiBaseUrl: 'https://{field.site}.atlassian.net',
    allowedHosts: ['{field.site}.atlassian.net'],
    attach: [...basicAttach],
    test: { kind: 'http', method: 'GET', path: '/rest/api/3/myself' },
    docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/',
    unverified: [TOKEN_NOTE],
  },
  {
    id: 'jira-oauth',
    name: 'Jira Cloud (OAuth)',
    group,
    description: 'Jira Cloud through an Atlassian OAuth 2.0 (3LO) app; needs a registered app with a client secret.',
    auth: { method: 'oauth2', oauth: ATLASSIAN_OAUTH, secretLabel: 'Access token' },
    defaultScopes: ['read:jira-user', 'read:jira-work', 'offline_access'],
    apiBaseUrl: 'https://api.atlassian.com',
    allowedHosts: ['api.atlassian.com'],
    attach: BEARER,
    test: oauthTest,
    docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
    unverified: OAUTH_UNVERIFIED,
  },
  {
    id: 'confluence',
    name: 'Confluence Cloud (API token)',
    group,
    description: 'Confluence Cloud with your email and an API token from id.atlassian.com.',
    auth: basicAuth,
    apiBaseUrl: 'https://{field.site}.atlassian.net',
    allowedHosts: ['{field.site}.atlassian.net'],
    attach: [...basicAttach],
    test: { kind: 'http', method: 'GET', path: '/wiki/rest/api/user/current' },
    docsUrl: 'https://developer.atlassian.com/cloud/confluence/basic-auth-for-rest-apis/',
    unverified: [TOKEN_NOTE, 'Test call GET /wiki/rest/api/user/current.'],
  },
  {
    id: 'confluence-oauth',
    name: 'Confluence Cloud (OAuth)',
    group,
    description: 'Confluence Cloud through an Atlassian OAuth 2.0 (3LO) app; needs a registered app with a client secret.',
    auth: { method: 'oauth2', oauth: ATLASSIAN_OAUTH, secretLabel: 'Access token' },
    defaultScopes: ['read:confluence-content.summary', 'read:confluence-space.summary', 'search:confluence', 'offline_access'],
    apiBaseUrl: 'https://api.atlassian.com',
    allowedHosts: ['api.atlassian.com'],
    attach: BEARER,
    test: oauthTest,
    docsUrl: 'https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/',
    unverified: [...OAUTH_UNVERIFIED, 'Minimal Confluence read scopes.'],
  },
];
