import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ServiceSchema } from '../../../electron/core/catalog/schema';
import {
  expandTemplate,
  isUrlAllowed,
  joinUrl,
  parsePlaceholders,
  resolveAllowedHosts,
  testCallUrl,
} from '../../../electron/core/catalog/templates';
import { isSophonError } from '../../../electron/core/errors';

const SECRET = 'sk-live-0123456789abcdef';

/** Asserts a SophonError whose message matches and never carries the secret. */
function throwsWithout(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isSophonError(err, 'invalid_input'), String(err));
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(SECRET), 'the secret is not in the message');
    return true;
  });
}

describe('expandTemplate', () => {
  test('substitutes {secret} and {field.NAME}', () => {
    assert.equal(expandTemplate('Bearer {secret}', { secret: SECRET, fields: {} }), `Bearer ${SECRET}`);
    assert.equal(expandTemplate('https://{field.site}.atlassian.net/{field.site}', { fields: { site: 'acme' } }), 'https://acme.atlassian.net/acme');
    assert.equal(expandTemplate('no placeholders', { fields: {} }), 'no placeholders');
  });

  test('does not re-expand substituted values', () => {
    assert.equal(expandTemplate('{field.a}', { secret: SECRET, fields: { a: '{secret}' } }), '{secret}');
  });

  test('rejects unknown placeholders and unmatched braces', () => {
    throwsWithout(() => expandTemplate('Bearer {token}', { secret: SECRET, fields: {} }), /unknown placeholder \{token\}/);
    throwsWithout(() => expandTemplate('{field.}', { fields: {} }), /unknown placeholder/);
    throwsWithout(() => expandTemplate('{field.a b}', { fields: {} }), /unknown placeholder/);
    throwsWithout(() => expandTemplate('Bearer {secret', { secret: SECRET, fields: {} }), /unmatched "\{"/);
    throwsWithout(() => expandTemplate('Bearer secret}', { secret: SECRET, fields: {} }), /unmatched "\}"/);
    throwsWithout(() => expandTemplate('{{secret}}', { secret: SECRET, fields: {} }), /unmatched/);
  });

  test('names a missing field or secret, never a value', () => {
    throwsWithout(() => expandTemplate('{secret}:{field.email}', { secret: SECRET, fields: {} }), /\{field\.email\}, which has no value/);
    throwsWithout(() => expandTemplate('{field.email}', { secret: SECRET, fields: { email: '' } }), /no value/);
    throwsWithout(() => expandTemplate('Bearer {secret}', { fields: {} }), /no secret was given/);
    // Inherited properties are not fields.
    throwsWithout(() => expandTemplate('{field.constructor}', { fields: {} }), /no value/);
  });

  test('parsePlaceholders lists them in order', () => {
    assert.deepEqual(parsePlaceholders('{field.a}-{secret}-{field.b}'), [
      { kind: 'field', name: 'a' },
      { kind: 'secret' },
      { kind: 'field', name: 'b' },
    ]);
  });
});

describe('allowed hosts', () => {
  test('lowercased, deduplicated, port-aware; URL entries stand for their host and explicit port', () => {
    const service = { allowedHosts: ['API.Example.com', 'api.example.com', 'mail.example.com:993', '{field.baseUrl}', '{field.other}'] };
    assert.deepEqual(resolveAllowedHosts(service, { baseUrl: 'http://LocalHost:11434/api', other: 'https://x.example:443/' }), [
      'api.example.com',
      'mail.example.com:993',
      'localhost:11434',
      'x.example',
    ]);
    assert.deepEqual(resolveAllowedHosts({ allowedHosts: ['[::1]:8080', '10.0.0.1'] }, {}), ['[::1]:8080', '10.0.0.1']);
  });

  test('a field value cannot smuggle in another host', () => {
    for (const site of ['x://evil.com/', 'evil.com/x', 'evil.com?', 'evil.com#', 'evil.com:99999', 'a b', 'user@evil.com']) {
      assert.throws(() => resolveAllowedHosts({ allowedHosts: ['{field.site}.atlassian.net'] }, { site }), (err: Error) => {
        assert.match(err.message, /allowedHosts\.0 does not give a host name/);
        assert.ok(!err.message.includes(site));
        return true;
      });
    }
    assert.throws(() => resolveAllowedHosts({ allowedHosts: ['{secret}'] }, {}), /no secret was given/);
  });

  test('isUrlAllowed matches host and port exactly', () => {
    const allowed = ['api.example.com', '127.0.0.1:11434'];
    assert.equal(isUrlAllowed('https://api.example.com/v1/x?y=1', allowed), true);
    assert.equal(isUrlAllowed('https://API.EXAMPLE.COM:443/', allowed), true);
    assert.equal(isUrlAllowed('https://api.example.com:8443/', allowed), false);
    assert.equal(isUrlAllowed('https://api.example.com.evil.net/', allowed), false);
    assert.equal(isUrlAllowed('https://api.example.com@evil.net/', allowed), false);
    assert.equal(isUrlAllowed('http://127.0.0.1:11434/api/tags', allowed), true);
    assert.equal(isUrlAllowed('http://127.0.0.1/api/tags', allowed), false);
    assert.equal(isUrlAllowed('not a url', allowed), false);
  });
});

describe('test call URL', () => {
  const generic = ServiceSchema.parse({
    id: 'generic',
    name: 'Generic',
    group: 'Generic',
    auth: { method: 'bearer', fields: [{ name: 'baseUrl', label: 'Base', kind: 'url' }, { name: 'testPath', label: 'Path', default: '/' }] },
    apiBaseUrl: '{field.baseUrl}',
    allowedHosts: ['{field.baseUrl}'],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: { kind: 'http', path: '{field.testPath}' },
  });

  test('appends the path to the base URL path', () => {
    assert.equal(joinUrl('https://a.example/v1/', '/models'), 'https://a.example/v1/models');
    assert.equal(testCallUrl(generic, { secret: SECRET, fields: { baseUrl: 'https://a.example/v1', testPath: '/me' } }), 'https://a.example/v1/me');
  });

  test('refuses a test path that points at another host', () => {
    throwsWithout(
      () => testCallUrl(generic, { secret: SECRET, fields: { baseUrl: 'https://a.example/v1', testPath: 'https://evil.example/steal' } }),
      /not in allowedHosts/,
    );
  });
});
