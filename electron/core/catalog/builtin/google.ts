import type { ServiceDefinitionInput } from '../schema';
import { BEARER, GOOGLE_OAUTH, googleSetup } from './shared';

const group = 'Google';
const GOOGLE_UNVERIFIED = [
  'Google requires the Desktop-app client_secret at the token endpoint even with PKCE (observed behaviour, not confirmed from the docs).',
];
// The Docs and Sheets APIs have no "me" or list call; tokeninfo proves the token and shows its scopes.
const TOKENINFO_TEST = { kind: 'http', method: 'GET', path: 'https://oauth2.googleapis.com/tokeninfo?access_token={secret}' } as const;

export const GOOGLE_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'gmail',
    name: 'Gmail',
    group,
    description: 'Read mail in a Gmail or Google Workspace mailbox.',
    auth: { method: 'oauth2', oauth: { ...GOOGLE_OAUTH, setup: googleSetup('Gmail API') }, secretLabel: 'Access token' },
    // gmail.readonly is a restricted scope: a public app needs Google verification and a security assessment.
    defaultScopes: ['https://www.googleapis.com/auth/gmail.readonly'],
    apiBaseUrl: 'https://gmail.googleapis.com',
    allowedHosts: ['gmail.googleapis.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/gmail/v1/users/me/profile' },
    docsUrl: 'https://developers.google.com/workspace/gmail/api/reference/rest',
    unverified: [...GOOGLE_UNVERIFIED, 'Gmail is not available through the device flow (limited-input device scope list).'],
  },
  {
    id: 'google-calendar',
    name: 'Google Calendar',
    group,
    description: 'Read calendars and events.',
    auth: { method: 'oauth2', oauth: { ...GOOGLE_OAUTH, setup: googleSetup('Google Calendar API') }, secretLabel: 'Access token' },
    defaultScopes: ['https://www.googleapis.com/auth/calendar.readonly'],
    apiBaseUrl: 'https://www.googleapis.com/calendar/v3',
    allowedHosts: ['www.googleapis.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/users/me/calendarList?maxResults=1' },
    docsUrl: 'https://developers.google.com/workspace/calendar/api/v3/reference',
    unverified: [
      ...GOOGLE_UNVERIFIED,
      'calendar.readonly is a sensitive (not restricted) scope; narrower calendar.events.readonly exists.',
      'No device flow for Calendar scopes.',
    ],
  },
  {
    id: 'google-drive',
    name: 'Google Drive',
    group,
    description: 'Files the person opens or creates with Sophon (drive.file); broader read access needs a restricted scope.',
    auth: {
      method: 'oauth2',
      oauth: { ...GOOGLE_OAUTH, deviceAuthorizationUrl: 'https://oauth2.googleapis.com/device/code', setup: googleSetup('Google Drive API') },
      secretLabel: 'Access token',
    },
    defaultScopes: ['https://www.googleapis.com/auth/drive.file'],
    apiBaseUrl: 'https://www.googleapis.com/drive/v3',
    allowedHosts: ['www.googleapis.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/about?fields=user' },
    docsUrl: 'https://developers.google.com/workspace/drive/api/reference/rest/v3',
    unverified: [
      ...GOOGLE_UNVERIFIED,
      'Device authorization endpoint https://oauth2.googleapis.com/device/code, and that the device flow allows drive.file.',
    ],
  },
  {
    id: 'google-docs',
    name: 'Google Docs',
    group,
    description: 'Read Google Docs documents by ID.',
    auth: { method: 'oauth2', oauth: { ...GOOGLE_OAUTH, setup: googleSetup('Google Docs API') }, secretLabel: 'Access token' },
    defaultScopes: ['https://www.googleapis.com/auth/documents.readonly'],
    apiBaseUrl: 'https://docs.googleapis.com/v1',
    allowedHosts: ['docs.googleapis.com', 'oauth2.googleapis.com'],
    attach: BEARER,
    test: TOKENINFO_TEST,
    docsUrl: 'https://developers.google.com/workspace/docs/api/reference/rest',
    unverified: [...GOOGLE_UNVERIFIED, 'No device flow for Docs scopes.'],
  },
  {
    id: 'google-sheets',
    name: 'Google Sheets',
    group,
    description: 'Read spreadsheets by ID.',
    auth: { method: 'oauth2', oauth: { ...GOOGLE_OAUTH, setup: googleSetup('Google Sheets API') }, secretLabel: 'Access token' },
    defaultScopes: ['https://www.googleapis.com/auth/spreadsheets.readonly'],
    apiBaseUrl: 'https://sheets.googleapis.com/v4',
    allowedHosts: ['sheets.googleapis.com', 'oauth2.googleapis.com'],
    attach: BEARER,
    test: TOKENINFO_TEST,
    docsUrl: 'https://developers.google.com/workspace/sheets/api/reference/rest',
    unverified: [...GOOGLE_UNVERIFIED, 'No device flow for Sheets scopes.'],
  },
];
