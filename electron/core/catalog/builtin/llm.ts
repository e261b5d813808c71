import type { ServiceDefinitionInput } from '../schema';
import { BEARER } from './shared';

const group = 'LLM providers';

export const LLM_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'openrouter',
    name: 'OpenRouter',
    group,
    description: 'An OpenRouter API key.',
    auth: { method: 'bearer', secretLabel: 'API key' },
    apiBaseUrl: 'https://openrouter.ai/api/v1',
    allowedHosts: ['openrouter.ai'],
    attach: BEARER,
    // /models is public and would pass with any key; /key needs a valid one.
    test: { kind: 'http', method: 'GET', path: '/key' },
    docsUrl: 'https://openrouter.ai/docs/api/api-reference/api-keys/get-current-key',
  },
  {
    id: 'anthropic',
    name: 'Anthropic API',
    group,
    description: 'An Anthropic Console API key (sk-ant-api03-…). Claude.ai subscription tokens are not API keys.',
    auth: { method: 'api_key', secretLabel: 'API key' },
    apiBaseUrl: 'https://api.anthropic.com',
    allowedHosts: ['api.anthropic.com'],
    attach: [{ in: 'header', name: 'x-api-key', value: '{secret}' }],
    test: { kind: 'http', method: 'GET', path: '/v1/models?limit=1', headers: { 'anthropic-version': '2023-06-01' } },
    docsUrl: 'https://docs.anthropic.com/en/api/models-list',
  },
  {
    id: 'openai',
    name: 'OpenAI API',
    group,
    description: 'An OpenAI platform API key (sk-…).',
    auth: { method: 'bearer', secretLabel: 'API key' },
    apiBaseUrl: 'https://api.openai.com/v1',
    allowedHosts: ['api.openai.com'],
    attach: BEARER,
    test: { kind: 'http', method: 'GET', path: '/models' },
    docsUrl: 'https://platform.openai.com/docs/api-reference/models/list',
  },
  {
    id: 'gemini',
    name: 'Google Gemini API',
    group,
    description: 'A Gemini API key from Google AI Studio.',
    auth: { method: 'api_key', secretLabel: 'API key' },
    apiBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    allowedHosts: ['generativelanguage.googleapis.com'],
    attach: [{ in: 'header', name: 'x-goog-api-key', value: '{secret}' }],
    test: { kind: 'http', method: 'GET', path: '/models?pageSize=1' },
    docsUrl: 'https://ai.google.dev/api/models#method:-models.list',
  },
  {
    id: 'ollama',
    name: 'Ollama',
    group,
    description: 'A local Ollama server; no credential.',
    auth: {
      method: 'none',
      fields: [{ name: 'baseUrl', label: 'Server URL', kind: 'url', default: 'http://127.0.0.1:11434' }],
      secretLabel: 'None',
    },
    apiBaseUrl: '{field.baseUrl}',
    allowedHosts: ['{field.baseUrl}'],
    test: { kind: 'http', method: 'GET', path: '/api/version' },
    local: true,
    docsUrl: 'https://docs.ollama.com/api',
  },
];
