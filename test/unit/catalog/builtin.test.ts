import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { BUILTIN_SERVICES } from '../../../electron/core/catalog/builtin';
import { builtinEntries, validateBuiltins } from '../../../electron/core/catalog/catalog';
import { sampleFieldValues } from '../../../electron/core/catalog/checks';
import { ServiceSchema, type ServiceDefinition } from '../../../electron/core/catalog/schema';
import { expandTemplate, hostOfUrl, resolveAllowedHosts } from '../../../electron/core/catalog/templates';

const services = builtinEntries().map((e) => e.service);
const byId = (id: string): ServiceDefinition => {
  const s = services.find((x) => x.id === id);
  assert.ok(s, `built-in ${id} exists`);
  return s;
};

/** Every template string in a service, found independently of the checker under test. */
function templates(s: ServiceDefinition): string[] {
  const out = [s.apiBaseUrl, ...s.allowedHosts];
  for (const a of s.attach) out.push(...(a.in === 'basic' ? [a.username, a.password] : [a.name, a.value]));
  if (s.test.kind === 'http') out.push(s.test.path, ...Object.values(s.test.headers));
  return out;
}

describe('built-in catalog', () => {
  test('covers every service the product promises, each id once', () => {
    const expected = [
      'gmail', 'google-calendar', 'google-drive', 'google-docs', 'google-sheets',
      'outlook-mail', 'outlook-calendar', 'onedrive', 'microsoft-graph',
      'github', 'github-pat', 'gitlab', 'gitlab-pat',
      'slack', 'slack-bot', 'discord', 'microsoft-teams',
      'jira', 'jira-oauth', 'confluence', 'confluence-oauth', 'linear', 'linear-api-key', 'notion', 'notion-token',
      'trello', 'asana', 'asana-pat', 'todoist', 'todoist-token',
      'zapier', 'make', 'ifttt', 'twilio', 'telnyx',
      'openrouter', 'anthropic', 'openai', 'gemini', 'ollama',
      'dropbox', 'box', 'http-bearer', 'email',
      // logins imported from CLIs (sophon connect import)
      'claude-subscription', 'codex-chatgpt', 'github-enterprise',
    ];
    const ids = services.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    assert.deepEqual([...ids].sort(), [...expected].sort());
  });

  for (const input of BUILTIN_SERVICES) {
    test(`${String(input.id)}: parses with the connector schema and passes every cross-field check`, () => {
      const parsed = ServiceSchema.safeParse(input);
      assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
      assert.doesNotThrow(() => validateBuiltins([input]));
    });
  }

  test('a broken built-in throws instead of being reported', () => {
    const broken = { ...BUILTIN_SERVICES[0]!, id: 'broken', auth: { method: 'oauth2' as const } };
    assert.throws(() => validateBuiltins([broken]), (err: Error) => /broken.*auth\.oauth: required/.test(err.message));
    assert.throws(() => validateBuiltins([BUILTIN_SERVICES[0]!, BUILTIN_SERVICES[0]!]), /used twice/);
  });

  test('OAuth services have https authorization and token endpoints and read scopes', () => {
    const oauth = services.filter((s) => s.auth.method === 'oauth2');
    assert.ok(oauth.length >= 15);
    for (const s of oauth) {
      assert.ok(s.auth.oauth, `${s.id} has oauth settings`);
      assert.match(s.auth.oauth.authorizationUrl ?? '', /^https:\/\//, s.id);
      assert.match(s.auth.oauth.tokenUrl ?? '', /^https:\/\//, s.id);
      // Notion has no scopes; Slack's user scopes travel in user_scope.
      if (!['notion', 'slack'].includes(s.id)) assert.ok(s.defaultScopes.length > 0, `${s.id} has default scopes`);
    }
    assert.equal(byId('slack').auth.oauth?.extraAuthorizationParams.user_scope, 'channels:read,users:read');
  });

  test('every placeholder is {secret} or a declared field', () => {
    for (const s of services) {
      const declared = new Set(s.auth.fields.map((f) => f.name));
      for (const t of templates(s)) {
        for (const [, inner] of t.matchAll(/\{([^}]*)\}/g)) {
          if (inner === 'secret') continue;
          assert.ok(inner?.startsWith('field.') && declared.has(inner.slice(6)), `${s.id}: {${inner}} in "${t}" is declared`);
        }
      }
    }
  });

  test('the API base URL and absolute test URLs go to allowed hosts, over https unless local', () => {
    for (const s of services) {
      const fields = sampleFieldValues(s.auth.fields);
      const allowed = resolveAllowedHosts(s, fields);
      const urls = [expandTemplate(s.apiBaseUrl, { fields })];
      if (s.test.kind === 'http' && s.test.path.startsWith('https://')) urls.push(expandTemplate(s.test.path, { secret: 'x', fields }));
      for (const url of urls) {
        assert.ok(allowed.includes(hostOfUrl(url) ?? ''), `${s.id}: ${url} is allowed`);
        if (s.auth.method !== 'smtp_imap' && !s.local) assert.match(url, /^https:\/\//, s.id);
      }
      const oauthUrls = Object.values(s.auth.oauth ?? {}).filter((v): v is string => typeof v === 'string' && v.includes('://'));
      for (const url of [...oauthUrls, ...(s.docsUrl ? [s.docsUrl] : [])]) assert.match(url, /^https:\/\//, `${s.id}: ${url}`);
    }
    assert.deepEqual(services.filter((s) => s.local).map((s) => s.id), ['ollama']);
  });

  test('credentials attach exactly as each service documents', () => {
    assert.deepEqual(byId('anthropic').attach, [{ in: 'header', name: 'x-api-key', value: '{secret}' }]);
    assert.deepEqual(byId('anthropic').test, { kind: 'http', method: 'GET', path: '/v1/models?limit=1', headers: { 'anthropic-version': '2023-06-01' } });
    assert.deepEqual(byId('gemini').attach, [{ in: 'header', name: 'x-goog-api-key', value: '{secret}' }]);
    assert.deepEqual(byId('trello').attach, [{ in: 'query', name: 'key', value: '{field.apiKey}' }, { in: 'query', name: 'token', value: '{secret}' }]);
    assert.deepEqual(byId('twilio').attach, [{ in: 'basic', username: '{field.accountSid}', password: '{secret}' }]);
    for (const id of ['jira', 'confluence']) {
      assert.deepEqual(byId(id).attach, [{ in: 'basic', username: '{field.email}', password: '{secret}' }]);
      assert.equal(byId(id).apiBaseUrl, 'https://{field.site}.atlassian.net');
      assert.deepEqual(resolveAllowedHosts(byId(id), { site: 'Acme', email: 'a@b.c' }), ['acme.atlassian.net']);
    }
    assert.deepEqual(byId('discord').attach, [{ in: 'header', name: 'Authorization', value: 'Bot {secret}' }]);
    assert.ok(byId('notion').attach.some((a) => a.in === 'header' && a.name === 'Notion-Version'));
    assert.deepEqual(byId('github').attach, [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }]);
    assert.deepEqual(byId('slack-bot').test, { kind: 'http', method: 'POST', path: '/auth.test', headers: {}, okField: 'ok' });
  });

  test('webhooks have no test call, and say why', () => {
    for (const id of ['zapier', 'make', 'ifttt']) {
      const s = byId(id);
      assert.equal(s.auth.method, 'webhook_url');
      assert.equal(s.test.kind, 'none');
      assert.match(s.test.kind === 'none' ? s.test.reason : '', /triggers/);
    }
  });

  test('Ollama is local with no credential; the generic services declare their fields', () => {
    const ollama = byId('ollama');
    assert.equal(ollama.auth.method, 'none');
    assert.equal(ollama.local, true);
    assert.deepEqual(resolveAllowedHosts(ollama, sampleFieldValues(ollama.auth.fields)), ['127.0.0.1:11434']);
    assert.deepEqual(resolveAllowedHosts(byId('http-bearer'), { baseUrl: 'https://API.Example.com/v2', testPath: '/' }), ['api.example.com']);
    const email = byId('email');
    assert.equal(email.test.kind, 'smtp_imap');
    assert.deepEqual(email.auth.fields.map((f) => f.name), ['smtpHost', 'smtpPort', 'smtpTls', 'imapHost', 'imapPort', 'imapTls', 'username']);
    assert.deepEqual(email.auth.fields.find((f) => f.name === 'smtpTls')?.options, ['tls', 'starttls', 'none']);
    assert.deepEqual(
      resolveAllowedHosts(email, { smtpHost: 'smtp.example.org', smtpPort: '465', imapHost: 'imap.example.org', imapPort: '993' }),
      ['smtp.example.org:465', 'imap.example.org:993'],
    );
  });
});
