import type { ServiceDefinitionInput } from '../schema';
import { BEARER, MICROSOFT_OAUTH } from './shared';

const group = 'Chat';
const slackTest = { kind: 'http', method: 'POST', path: '/auth.test', okField: 'ok' } as const;

export const CHAT_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'slack',
    name: 'Slack',
    group,
    description: 'Sign in to a Slack workspace as yourself (user token). For a bot, use slack-bot.',
    auth: {
      method: 'oauth2',
      oauth: {
        authorizationUrl: 'https://slack.com/oauth/v2/authorize',
        tokenUrl: 'https://slack.com/api/oauth.v2.access',
        revocationUrl: 'https://slack.com/api/auth.revoke',
        // PKCE must be switched on in the Slack app settings; desktop (loopback) redirects then cannot ask
        // for bot scopes, so the read scopes are user scopes, which Slack takes in `user_scope`, not `scope`.
        pkce: true,
        scopeSeparator: ',',
        extraAuthorizationParams: { user_scope: 'channels:read,users:read' },
        setup: {
          consoleUrl: 'https://api.slack.com/apps',
          appType: 'Create New App \u2192 From scratch, then OAuth & Permissions',
          redirect: 'loopback',
          steps: [
            'Under OAuth & Permissions add the redirect URL below, and the User Token Scopes channels:read and users:read (Sophon asks for no bot scopes).',
            'Turn on PKCE: a one-way switch that makes the app a public client, so no client secret is needed.',
          ],
          verified:
            'PKCE switch (public client, one-way), localhost redirects for PKCE apps, no bot scopes on desktop redirects: docs.slack.dev/authentication/using-pkce and docs.slack.dev/changelog/2026/03/30/pkce. Unverified: that a 127.0.0.1 redirect matches on any port.',
        },
      },
      secretLabel: 'User token',
    },
    defaultScopes: [],
    apiBaseUrl: 'https://slack.com/api',
    allowedHosts: ['slack.com'],
    attach: BEARER,
    test: slackTest,
    docsUrl: 'https://docs.slack.dev/authentication/using-pkce',
    unverified: [
      'Minimal user scopes channels:read,users:read.',
      'The user token is in authed_user.access_token of the token response, not the top-level access_token.',
      'auth.revoke takes the token as a `token` parameter like RFC 7009, but answers {"ok": …}.',
    ],
  },
  {
    id: 'slack-bot',
    name: 'Slack (bot token)',
    group,
    description: 'A bot token (xoxb-…) from a Slack app installed in the workspace.',
    auth: { method: 'bearer', secretLabel: 'Bot token' },
    apiBaseUrl: 'https://slack.com/api',
    allowedHosts: ['slack.com'],
    attach: BEARER,
    test: slackTest,
    docsUrl: 'https://docs.slack.dev/reference/methods/auth.test',
  },
  {
    id: 'discord',
    name: 'Discord (bot)',
    group,
    description: 'A Discord bot token from the Developer Portal.',
    auth: { method: 'api_key', secretLabel: 'Bot token' },
    apiBaseUrl: 'https://discord.com/api/v10',
    allowedHosts: ['discord.com'],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bot {secret}' }],
    test: { kind: 'http', method: 'GET', path: '/users/@me' },
    docsUrl: 'https://discord.com/developers/docs/reference#authentication',
  },
  {
    id: 'microsoft-teams',
    name: 'Microsoft Teams',
    group,
    description: 'Teams through Microsoft Graph (work or school accounts).',
    auth: { method: 'oauth2', oauth: MICROSOFT_OAUTH, secretLabel: 'Access token' },
    // Channel messages need ChannelMessage.Read.All (admin consent); chats need Chat.Read.
    defaultScopes: ['offline_access', 'User.Read', 'Team.ReadBasic.All'],
    apiBaseUrl: 'https://graph.microsoft.com/v1.0',
    allowedHosts: ['graph.microsoft.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/me/joinedTeams' },
    docsUrl: 'https://learn.microsoft.com/graph/api/resources/teams-api-overview',
    unverified: ['Minimal read scopes for Teams (Team.ReadBasic.All).'],
  },
];
