import type { ServiceDefinitionInput } from '../schema';

const group = 'Automation';
const noTest = {
  kind: 'none',
  reason: 'Calling a webhook triggers it (runs the Zap, scenario or applet), so there is no side-effect-free test; only the URL is checked.',
} as const;
const auth = { method: 'webhook_url', secretLabel: 'Webhook URL' } as const;

/** Outbound webhooks: the secret is the whole webhook URL, whose host must be one of allowedHosts. */
export const AUTOMATION_SERVICES: ServiceDefinitionInput[] = [
  {
    id: 'zapier',
    name: 'Zapier (Catch Hook webhook)',
    group,
    description: 'A "Webhooks by Zapier" Catch Hook URL (https://hooks.zapier.com/hooks/catch/…).',
    auth,
    apiBaseUrl: 'https://hooks.zapier.com',
    allowedHosts: ['hooks.zapier.com'],
    test: noTest,
    docsUrl: 'https://help.zapier.com/hc/en-us/articles/8496288690317',
  },
  {
    id: 'make',
    name: 'Make (custom webhook)',
    group,
    description: 'A Make custom webhook URL (https://hook.<zone>.make.com/…).',
    auth,
    apiBaseUrl: 'https://hook.eu1.make.com',
    allowedHosts: ['hook.eu1.make.com', 'hook.eu2.make.com', 'hook.us1.make.com', 'hook.us2.make.com'],
    test: noTest,
    docsUrl: 'https://www.make.com/en/help/tools/webhooks',
    unverified: ['The list of Make zones (eu1, eu2, us1, us2).', 'Optional webhook API key header x-make-apikey is not used here.'],
  },
  {
    id: 'ifttt',
    name: 'IFTTT (Webhooks)',
    group,
    description: 'An IFTTT Webhooks trigger URL (https://maker.ifttt.com/trigger/<event>/with/key/<key>); the key in it is the secret.',
    auth,
    apiBaseUrl: 'https://maker.ifttt.com',
    allowedHosts: ['maker.ifttt.com'],
    test: noTest,
    docsUrl: 'https://ifttt.com/maker_webhooks',
    unverified: ['The JSON variant /trigger/<event>/json/with/key/<key>.'],
  },
];
