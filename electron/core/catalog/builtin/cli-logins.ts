import type { ServiceDefinitionInput } from '../schema';
import { BEARER } from './shared';

/**
 * Services that exist only as logins imported from another program's CLI (`sophon connect import`).
 * Their tokens belong to that CLI: Sophon re-reads them and never refreshes them.
 */
export const CLI_LOGIN_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'claude-subscription',
    name: 'Claude Code login (Claude subscription)',
    group: 'LLM providers',
    description:
      'A Claude Free/Pro/Max login imported from Claude Code. Anthropic allows it only in Claude Code itself: ' +
      'Sophon shows it and can hand it to a skill that runs the `claude` program, but the broker never attaches ' +
      'it to other requests (broker policy: claude-code-only). For API calls connect "anthropic" with an API key.',
    auth: { method: 'bearer', secretLabel: 'Claude Code login' },
    apiBaseUrl: 'https://api.anthropic.com',
    allowedHosts: ['api.anthropic.com'],
    attach: BEARER,
    test: { kind: 'none', reason: 'A Claude subscription login may be used only by Claude Code, so Sophon makes no call with it; its expiry is checked instead.' },
    proxyAllowed: false,
    docsUrl: 'https://code.claude.com/docs/en/authentication',
  },
  {
    id: 'codex-chatgpt',
    name: 'Codex login (ChatGPT account)',
    group: 'LLM providers',
    description: 'A ChatGPT sign-in imported from OpenAI Codex. Codex refreshes it; Sophon only reads it. For the OpenAI API connect "openai" with an API key.',
    auth: { method: 'bearer', secretLabel: 'Codex login' },
    apiBaseUrl: 'https://chatgpt.com/backend-api',
    allowedHosts: ['chatgpt.com'],
    attach: BEARER,
    test: { kind: 'none', reason: 'No documented read-only call accepts a Codex ChatGPT token; its expiry is checked instead.' },
    docsUrl: 'https://developers.openai.com/codex/auth',
    unverified: ['The ChatGPT backend API base URL (chatgpt.com/backend-api) is what Codex uses, not a documented public API.'],
  },
  {
    id: 'github-enterprise',
    name: 'GitHub Enterprise Server (token)',
    group: 'Developer',
    description: 'A token for a GitHub Enterprise Server host, e.g. imported from `gh`.',
    auth: {
      method: 'bearer',
      secretLabel: 'Access token',
      fields: [{ name: 'host', label: 'Host name', kind: 'host', help: 'e.g. github.example.com' }],
    },
    apiBaseUrl: 'https://{field.host}/api/v3',
    allowedHosts: ['{field.host}'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/user', headers: { Accept: 'application/vnd.github+json' } },
    docsUrl: 'https://docs.github.com/en/enterprise-server@latest/rest',
  },
];
