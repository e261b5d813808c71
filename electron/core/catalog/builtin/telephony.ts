import type { ServiceDefinitionInput } from '../schema';
import { BEARER } from './shared';

const group = 'Telephony';

export const TELEPHONY_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'twilio',
    name: 'Twilio',
    group,
    description: 'Your Account SID and Auth Token from the Twilio console.',
    auth: {
      method: 'basic',
      fields: [{ name: 'accountSid', label: 'Account SID', help: 'Starts with AC' }],
      secretLabel: 'Auth token',
    },
    apiBaseUrl: 'https://api.twilio.com/2010-04-01',
    allowedHosts: ['api.twilio.com'],
    attach: [{ in: 'basic', username: '{field.accountSid}', password: '{secret}' }],
    test: { kind: 'http', method: 'GET', path: '/Accounts/{field.accountSid}.json' },
    docsUrl: 'https://www.twilio.com/docs/usage/api',
    unverified: ['Test call GET /Accounts/{AccountSid}.json.'],
  },
  {
    id: 'telnyx',
    name: 'Telnyx',
    group,
    description: 'A Telnyx API key (v2).',
    auth: { method: 'bearer', secretLabel: 'API key' },
    apiBaseUrl: 'https://api.telnyx.com/v2',
    allowedHosts: ['api.telnyx.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/balance' },
    docsUrl: 'https://developers.telnyx.com/docs/development/api-fundamentals/first-api-request',
  },
];
