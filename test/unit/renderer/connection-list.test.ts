// The connection list's and the catalog's pure parts: order (attention first), labels that do not
// repeat the service, search synonyms over the real built-in catalog, group order, logos, usage.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { builtinEntries } from '../../../electron/core/catalog/catalog';
import { attention, attentionParts, rowLabel, rowText, shortLabel, sortConnections } from '../../../renderer/src/connection-view';
import { usageBySkill } from '../../../renderer/src/connection-usage';
import { serviceLogo, SERVICES_WITH_LOGOS } from '../../../renderer/src/service-logos';
import { catalogGroups, GROUP_ORDER, needsSetup, serviceMatches } from '../../../renderer/src/service-search';

const NOW = Date.parse('2026-12-04T12:00:00.000Z');
const DAY = 86_400_000;

const conn = (id: string, serviceName: string, label: string, over: Partial<Connection> = {}): Connection => ({
  id,
  userId: 'default',
  serviceId: id.replace(/-\d+$/, ''),
  serviceName,
  label,
  authMethod: 'api_key',
  scopes: [],
  state: 'active',
  stateReason: null,
  account: null,
  secretHint: null,
  fields: {},
  createdAt: '2026-11-25T00:00:00.000Z',
  lastUsedAt: null,
  expiresAt: null,
  lastTest: null,
  ...over,
});

describe('connection list', () => {
  test('what needs the person comes first (re-auth, error, expired, expiring, untested), then by service and label', () => {
    const list = [
      conn('openai-1', 'OpenAI API', 'Key 10'),
      conn('openai-2', 'OpenAI API', 'Key 2'),
      conn('anthropic-1', 'Anthropic API', 'Untested', { state: 'untested' }),
      conn('github-1', 'GitHub', 'Soon', { expiresAt: new Date(NOW + DAY).toISOString() }),
      conn('slack-1', 'Slack', 'Broken', { state: 'error' }),
      conn('gmail-1', 'Gmail', 'Reauth', { state: 'needs_reauth', authMethod: 'oauth2' }),
      conn('anthropic-2', 'Anthropic API', 'Fine'),
    ];
    assert.deepEqual(
      sortConnections(list, NOW).map((c) => c.label),
      ['Reauth', 'Broken', 'Soon', 'Untested', 'Fine', 'Key 2', 'Key 10'],
    );
    assert.deepEqual(attentionParts(attention(list, NOW)).map((p) => p.text), ['1 needs re-auth', '1 with errors', '1 expiring soon', '1 untested']);
    assert.equal(rowLabel(list[3]!, NOW), 'Soon, GitHub, expires soon');
    assert.equal(rowLabel(list[0]!, NOW), 'Key 10, OpenAI API');
  });

  test('labels do not repeat the service name the row already shows', () => {
    assert.equal(shortLabel('OpenAI API (alice@example.com)', 'OpenAI API'), 'alice@example.com');
    assert.equal(shortLabel('GitHub – work', 'GitHub'), 'work');
    assert.equal(shortLabel('Production', 'Local api'), 'Production');
    assert.equal(shortLabel('OpenAI API', 'OpenAI API'), 'OpenAI API', 'nothing else would be left');
    assert.deepEqual(rowText(conn('openai-1', 'OpenAI API', 'OpenAI API (alice@example.com)', { account: 'alice@example.com' })), { name: 'alice@example.com', sub: 'OpenAI API' });
    assert.deepEqual(rowText(conn('x-1', 'Local api', 'Production', { account: 'octo' })), { name: 'Production', sub: 'Local api · octo' });
    assert.deepEqual(rowText(conn('openai-1', 'OpenAI API', 'OpenAI API')), { name: 'OpenAI API', sub: '' });
  });
});

describe('catalog search and order', () => {
  const services = builtinEntries().map(({ service: s }) => ({ id: s.id, name: s.name, group: s.group, description: s.description ?? '', authMethod: s.auth.method, oauthClientConfigured: s.auth.method === 'oauth2' ? false : null }));
  const found = (q: string) => services.filter((s) => serviceMatches(s, q)).map((s) => s.id);

  test('synonyms: "gpt" finds OpenAI, "claude" Anthropic, "mail" Gmail, Outlook and SMTP, "calendar" both calendars', () => {
    assert.ok(found('gpt').includes('openai'));
    assert.ok(found('chatgpt').includes('openai'));
    assert.ok(found('claude').includes('anthropic'));
    for (const id of ['gmail', 'outlook-mail', 'email']) assert.ok(found('mail').includes(id), `mail finds ${id}`);
    assert.ok(found('smtp').includes('email'));
    assert.ok(found('calend').includes('google-calendar') && found('calend').includes('outlook-calendar'));
    assert.deepEqual(found('gpt claude'), [], 'every word must match');
    assert.ok(!found('gpt').includes('gmail'));
  });

  test('groups: most used first (LLM providers, then developer tools), every built-in group ranked', () => {
    const groups = catalogGroups(services, '').map(([g]) => g);
    assert.equal(groups[0], 'LLM providers');
    assert.equal(groups[1], 'Developer');
    for (const g of new Set(services.map((s) => s.group))) assert.ok(GROUP_ORDER.includes(g), `${g} has a place in GROUP_ORDER`);
    assert.deepEqual(catalogGroups(services, 'gpt').map(([g, list]) => [g, list.map((s) => s.id)]), [['LLM providers', ['openai', 'codex-chatgpt']]]);
  });

  test('"needs setup": OAuth services without a client registration only', () => {
    const setup = (client: 'setting' | 'distribution' | 'registered' | 'dynamic' | 'none') => ({ client, consoleUrl: null, appType: null, redirect: 'loopback' as const, redirectUris: [], steps: [], scopes: [], secretRequired: false, clientSecretSet: false, deviceFlow: false, verified: null });
    assert.equal(needsSetup({ authMethod: 'oauth2', oauthClientConfigured: false, oauthSetup: null }), true);
    assert.equal(needsSetup({ authMethod: 'oauth2', oauthClientConfigured: true, oauthSetup: null }), false);
    assert.equal(needsSetup({ authMethod: 'api_key', oauthClientConfigured: null, oauthSetup: null }), false);
    assert.equal(needsSetup({ authMethod: 'oauth2', oauthClientConfigured: false, oauthSetup: setup('none') }), true);
    // Sophon registers itself there on first sign-in: nothing for the person to set up.
    assert.equal(needsSetup({ authMethod: 'oauth2', oauthClientConfigured: false, oauthSetup: setup('dynamic') }), false);
  });

  test('logos: every mapped id is a catalog service; OpenAI (not in simple-icons) keeps its monogram', () => {
    const ids = new Set(services.map((s) => s.id));
    for (const id of SERVICES_WITH_LOGOS) assert.ok(ids.has(id), `${id} is in the catalog`);
    assert.match(serviceLogo('github')!.path, /^M/);
    assert.match(serviceLogo('github')!.color, /^#[0-9A-F]{6}$/i);
    assert.equal(serviceLogo('openai'), null);
    assert.equal(serviceLogo('toString'), null);
  });
});

describe('used by', () => {
  test('audit rows of a connection, summed up per skill and agent, most recent first', () => {
    const row = (id: number, at: string, skill: string | null, action: string, tool: string | null, outcome = 'ok') => ({ id, at, userId: 'default', connectionId: 'c', serviceId: 's', skill, tool, action, outcome, detail: null });
    const usage = usageBySkill([
      row(5, '2026-12-04T10:00:00.000Z', 'claude-code', 'mcp_call', 'http_get'),
      row(4, '2026-12-03T10:00:00.000Z', 'mail-digest', 'broker_call', 'list', 'failed'),
      row(3, '2026-12-02T10:00:00.000Z', 'mail-digest', 'broker_call', 'read'),
      row(2, '2026-12-01T10:00:00.000Z', null, 'test', null),
    ]);
    assert.deepEqual(usage, [
      { who: 'claude-code', kind: 'agent', calls: 1, failed: 0, lastAt: '2026-12-04T10:00:00.000Z', tools: ['http_get'] },
      { who: 'mail-digest', kind: 'skill', calls: 2, failed: 1, lastAt: '2026-12-03T10:00:00.000Z', tools: ['list', 'read'] },
    ]);
  });
});
