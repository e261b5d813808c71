import type { ServiceDefinitionInput } from '../schema';
import { BEARER, MICROSOFT_OAUTH } from './shared';

const group = 'Microsoft 365';
const base = {
  group,
  apiBaseUrl: 'https://graph.microsoft.com/v1.0',
  allowedHosts: ['graph.microsoft.com'],
  attach: BEARER,
  docsUrl: 'https://learn.microsoft.com/graph/api/overview',
};
// Microsoft has no RFC 7009 endpoint: revokeSignInSessions revokes every app's tokens, so none is set.
const auth = { method: 'oauth2', oauth: MICROSOFT_OAUTH, secretLabel: 'Access token' } as const;
const MS_UNVERIFIED = ['Minimal read scopes per Graph area and the per-area test calls are from third-party notes.'];

export const MICROSOFT_SERVICES: ServiceDefinitionInput[] = [
  {
    ...base,
    id: 'outlook-mail',
    name: 'Outlook mail',
    description: 'Read mail in Outlook / Exchange Online through Microsoft Graph.',
    auth,
    defaultScopes: ['offline_access', 'User.Read', 'Mail.ReadBasic'],
    test: { kind: 'http', method: 'GET', path: '/me/mailFolders/inbox?$select=id' },
    unverified: MS_UNVERIFIED,
  },
  {
    ...base,
    id: 'outlook-calendar',
    name: 'Outlook Calendar',
    description: 'Read calendars through Microsoft Graph.',
    auth,
    defaultScopes: ['offline_access', 'User.Read', 'Calendars.ReadBasic'],
    test: { kind: 'http', method: 'GET', path: '/me/calendars?$top=1' },
    unverified: MS_UNVERIFIED,
  },
  {
    ...base,
    id: 'onedrive',
    name: 'OneDrive',
    description: 'Read files in OneDrive (personal or work) through Microsoft Graph.',
    auth,
    defaultScopes: ['offline_access', 'User.Read', 'Files.Read'],
    test: { kind: 'http', method: 'GET', path: '/me/drive' },
    unverified: MS_UNVERIFIED,
  },
  {
    ...base,
    id: 'microsoft-graph',
    name: 'Microsoft Graph API',
    description: 'Any Microsoft Graph call; add the scopes the agent needs.',
    auth,
    defaultScopes: ['offline_access', 'User.Read'],
    test: { kind: 'http', method: 'GET', path: '/me' },
  },
];
