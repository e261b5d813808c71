import type { ServiceDefinitionInput } from '../schema';
import { BEARER } from './shared';

const group = 'Storage';

export const STORAGE_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'dropbox',
    name: 'Dropbox',
    group,
    description: 'Sign in with Dropbox.',
    auth: {
      method: 'oauth2',
      oauth: {
        authorizationUrl: 'https://www.dropbox.com/oauth2/authorize',
        tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
        // Revocation is POST /2/auth/token/revoke authenticated with the token itself, not RFC 7009.
        pkce: true,
        extraAuthorizationParams: { token_access_type: 'offline' },
        setup: {
          consoleUrl: 'https://www.dropbox.com/developers/apps',
          appType: 'Create app \u2192 Scoped access',
          redirect: 'loopback',
          steps: [
            'Under Permissions tick account_info.read and files.metadata.read.',
            'Enter the redirect URI below under OAuth 2 \u2192 Redirect URIs, and allow public clients (PKCE): no secret is needed.',
          ],
          verified:
            'PKCE without the app secret: the Dropbox SDK docs (DbxPKCEWebAuth). Unverified: loopback port matching (the .NET SDK docs register http://127.0.0.1 with a chosen port).',
        },
      },
      secretLabel: 'Access token',
    },
    defaultScopes: ['account_info.read', 'files.metadata.read'],
    apiBaseUrl: 'https://api.dropboxapi.com/2',
    // File contents (download/upload) are served from content.dropboxapi.com with the same token.
    allowedHosts: ['api.dropboxapi.com', 'content.dropboxapi.com'],
    attach: BEARER,
    // Dropbox RPC endpoints are POST; a body of JSON null means "no arguments". Read-only.
    test: { kind: 'http', method: 'POST', path: '/users/get_current_account', body: null },
    docsUrl: 'https://www.dropbox.com/developers/documentation/http/documentation',
    unverified: ['Access tokens last about 4 hours.'],
  },
  {
    id: 'box',
    name: 'Box',
    group,
    description: 'Sign in with Box; needs a registered Box app with a client secret.',
    auth: {
      method: 'oauth2',
      oauth: {
        authorizationUrl: 'https://account.box.com/api/oauth2/authorize',
        tokenUrl: 'https://api.box.com/oauth2/token',
        revocationUrl: 'https://api.box.com/oauth2/revoke',
        pkce: false,
        clientSecretRequired: true,
        setup: {
          consoleUrl: 'https://app.box.com/developers/console',
          appType: 'Create New App \u2192 Custom App \u2192 User Authentication (OAuth 2.0)',
          redirect: 'loopback',
          steps: ['Enter the redirect URI below.', 'Choose the application scope "Read all files and folders".', 'Copy the client ID and secret.'],
          verified: 'Unverified: Box\u2019s authorize docs (developer.box.com/reference/get-authorize/) say the redirect URI must be HTTPS, so an http loopback redirect may be refused.',
        },
      },
      secretLabel: 'Access token',
    },
    defaultScopes: ['root_readonly'],
    apiBaseUrl: 'https://api.box.com/2.0',
    allowedHosts: ['api.box.com', 'upload.box.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/users/me' },
    docsUrl: 'https://developer.box.com/reference/get-authorize/',
    unverified: ['Box does not support PKCE.', 'Whether Box accepts a loopback http://127.0.0.1 redirect URI (docs say HTTPS).'],
  },
];
