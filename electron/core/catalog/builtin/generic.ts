import type { ServiceDefinitionInput } from '../schema';
import { BEARER } from './shared';

const group = 'Generic';
const tlsOptions = ['tls', 'starttls', 'none'];

export const GENERIC_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'http-bearer',
    name: 'HTTP API (bearer token)',
    group,
    description: 'Any HTTPS API that takes "Authorization: Bearer <token>". The token goes only to the base URL\u2019s host.',
    auth: {
      method: 'bearer',
      fields: [
        { name: 'baseUrl', label: 'Base URL', kind: 'url', help: 'e.g. https://api.example.com/v1' },
        { name: 'testPath', label: 'Test path', default: '/', help: 'A read-only path under the base URL that needs the token, e.g. /me' },
      ],
      secretLabel: 'Token',
    },
    apiBaseUrl: '{field.baseUrl}',
    allowedHosts: ['{field.baseUrl}'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '{field.testPath}' },
  },
  {
    id: 'email',
    name: 'Email (SMTP/IMAP)',
    group,
    description: 'Any mailbox over IMAP (read) and SMTP (send) with a username and password (or app password).',
    auth: {
      method: 'smtp_imap',
      fields: [
        { name: 'smtpHost', label: 'SMTP server', kind: 'host' },
        { name: 'smtpPort', label: 'SMTP port', kind: 'port', default: '587' },
        { name: 'smtpTls', label: 'SMTP security', kind: 'enum', options: tlsOptions, default: 'starttls' },
        { name: 'imapHost', label: 'IMAP server', kind: 'host' },
        { name: 'imapPort', label: 'IMAP port', kind: 'port', default: '993' },
        { name: 'imapTls', label: 'IMAP security', kind: 'enum', options: tlsOptions, default: 'tls' },
        { name: 'username', label: 'Username' },
      ],
      // The password is the connection's main secret (credential-mapping keeps it as extra.password).
      secretLabel: 'Password',
    },
    apiBaseUrl: 'imap://{field.imapHost}:{field.imapPort}',
    allowedHosts: ['{field.smtpHost}:{field.smtpPort}', '{field.imapHost}:{field.imapPort}'],
    test: { kind: 'smtp_imap' },
  },
];
