import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { builtinEntries, findService, getService, loadCatalog, validateConnectorFile, validateConnectorText, type Catalog } from '../../../electron/core/catalog/catalog';

const LEAK = 'sk-live-DO-NOT-ECHO';

/** A valid connector; each bad file below changes one thing. */
function good(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Acme ${id}`,
    group: 'Generic',
    auth: { method: 'bearer', secretLabel: 'Token' },
    apiBaseUrl: 'https://api.acme.example/v1',
    allowedHosts: ['api.acme.example'],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: { kind: 'http', method: 'GET', path: '/me' },
    ...over,
  };
}

const oauthAuth = { method: 'oauth2', secretLabel: 'Access token' };

/** file name → [contents, expected field path or phrase in the message]. */
const BAD: Record<string, [string, RegExp]> = {
  'bad-json.json': ['{\n  "id": "bad-json",\n  "name" "missing colon"\n}\n', /not valid JSON at line 3, column 10: expected ":"/],
  'empty.json': ['  \n', /empty/],
  'array.json': ['[]', /\(top level\): expected one JSON object/],
  'wrong-type.json': [JSON.stringify(good('wrong-type', { name: 42, local: LEAK })), /name: .*expected string.*local: .*expected boolean/],
  'unknown-field.json': [JSON.stringify(good('unknown-field', { colour: 'blue' })), /\(top level\): unknown key "colour"; valid keys: id, name, group, .*apiBaseUrl, allowedHosts/],
  'unknown-nested.json': [JSON.stringify(good('unknown-nested', { auth: { method: 'bearer', token: LEAK } })), /auth: unknown key "token"; valid keys: method, oauth, fields, secretLabel/],
  'missing-required.json': [JSON.stringify({ ...good('missing-required'), apiBaseUrl: undefined }), /apiBaseUrl: missing \(expected string\)/],
  'bad-id.json': [JSON.stringify(good('Bad_ID')), /id: must be 1-48 lowercase/],
  'bad-method.json': [JSON.stringify(good('bad-method', { auth: { method: 'magic' } })), /auth\.method: /],
  'unknown-placeholder.json': [
    JSON.stringify(good('unknown-placeholder', { attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {token}' }] })),
    /attach\.0\.value: unknown placeholder \{token\}/,
  ],
  'undeclared-field.json': [
    JSON.stringify(good('undeclared-field', { apiBaseUrl: 'https://{field.site}.acme.example', allowedHosts: ['{field.site}.acme.example'] })),
    /apiBaseUrl: uses \{field\.site\}, which is not declared in auth\.fields.*allowedHosts\.0: uses \{field\.site\}/,
  ],
  'host-mismatch.json': [JSON.stringify(good('host-mismatch', { allowedHosts: ['acme.example'] })), /apiBaseUrl: its host is not in allowedHosts/],
  'test-host.json': [
    JSON.stringify(good('test-host', { test: { kind: 'http', path: 'https://elsewhere.example/me' } })),
    /test\.path: its host is not in allowedHosts/,
  ],
  'plain-http.json': [
    JSON.stringify(good('plain-http', { apiBaseUrl: 'http://api.acme.example/v1' })),
    /apiBaseUrl: must use https/,
  ],
  'oauth-no-endpoints.json': [JSON.stringify(good('oauth-no-endpoints', { auth: oauthAuth })), /auth\.oauth: required when auth\.method is "oauth2"/],
  'oauth-half.json': [
    JSON.stringify(good('oauth-half', { auth: { ...oauthAuth, oauth: { authorizationUrl: 'https://acme.example/authorize' } } })),
    /auth\.oauth: give either "issuer" \(endpoints are discovered\) or both "authorizationUrl" and "tokenUrl"/,
  ],
  'oauth-unknown.json': [
    JSON.stringify(good('oauth-unknown', { auth: { ...oauthAuth, oauth: { issuer: 'https://acme.example', authorizeUrl: 'https://acme.example/a' } } })),
    /auth\.oauth: unknown key "authorizeUrl"; valid keys: authorizationUrl, tokenUrl, revocationUrl, deviceAuthorizationUrl, issuer, resource, dynamicRegistration/,
  ],
  'oauth-issuer-http.json': [
    JSON.stringify(good('oauth-issuer-http', { auth: { ...oauthAuth, oauth: { issuer: 'http://acme.example' } } })),
    /auth\.oauth\.issuer: must be an https URL/,
  ],
  'oauth-http.json': [
    JSON.stringify(good('oauth-http', { auth: { ...oauthAuth, oauth: { authorizationUrl: 'https://acme.example/a', tokenUrl: 'http://acme.example/t' } } })),
    /auth\.oauth\.tokenUrl: must be an https URL/,
  ],
  'no-attach.json': [JSON.stringify(good('no-attach', { attach: [] })), /attach: needs at least one entry for auth\.method "bearer"/],
  'attach-no-secret.json': [
    JSON.stringify(good('attach-no-secret', { attach: [{ in: 'header', name: 'X-Client', value: 'sophon' }] })),
    /attach: never uses \{secret\}/,
  ],
  'secret-in-host.json': [
    JSON.stringify(good('secret-in-host', { allowedHosts: ['api.acme.example', '{secret}.acme.example'] })),
    /allowedHosts\.1: \{secret\} may only be used in attach and test/,
  ],
  'smtp-test.json': [JSON.stringify(good('smtp-test', { test: { kind: 'smtp_imap' } })), /test\.kind: "smtp_imap" only works with auth\.method "smtp_imap"/],
  'enum-no-options.json': [
    JSON.stringify(good('enum-no-options', { auth: { method: 'bearer', fields: [{ name: 'region', label: 'Region', kind: 'enum' }] } })),
    /auth\.fields\.0\.options: required when kind is "enum"/,
  ],
  'bad-host.json': [JSON.stringify(good('bad-host', { allowedHosts: ['api.acme.example', 'https://'] })), /allowedHosts\.1 does not give a host name/],
  'pasted-secret.json': [
    JSON.stringify(good('pasted-secret', { attach: [{ in: 'header', name: 'Authorization', value: `Bearer {${LEAK} x}` }] })),
    /attach\.0\.value: unknown placeholder between braces/,
  ],
  'collides-builtin.json': [JSON.stringify(good('github')), /id: "github" is already the id of the built-in service GitHub/],
};

const GOOD_WITH_COMMENTS = `// A connector someone wrote by hand.
{
  "id": "acme", // trailing comments and commas are fine
  "name": "Acme",
  "group": "Generic",
  "auth": { "method": "api_key", "fields": [{ "name": "region", "label": "Region", "kind": "enum", "options": ["eu", "us"] }] },
  "apiBaseUrl": "https://{field.region}.api.acme.example",
  "allowedHosts": ["{field.region}.api.acme.example"],
  "attach": [{ "in": "header", "name": "X-Api-Key", "value": "{secret}" }],
  "test": { "kind": "http", "path": "/whoami" },
}
`;

describe('connector files', () => {
  let dir: string;
  let catalog: Catalog;
  const problemFor = (name: string) => catalog.problems.filter((p) => p.file === join(dir, name));

  beforeAll(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'sophon-connectors-'));
    await fsp.writeFile(join(dir, 'acme.json'), GOOD_WITH_COMMENTS);
    await fsp.writeFile(join(dir, 'README.txt'), 'not a connector');
    await fsp.writeFile(join(dir, 'dup-a.json'), JSON.stringify(good('dup')));
    await fsp.writeFile(join(dir, 'dup-b.json'), JSON.stringify(good('dup', { name: 'Other' })));
    for (const [name, [text]] of Object.entries(BAD)) await fsp.writeFile(join(dir, name), text);
    catalog = await loadCatalog(dir);
  });
  afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

  for (const [name, [, expected]] of Object.entries(BAD)) {
    test(`${name}: one problem naming the file and the field`, () => {
      const problems = problemFor(name);
      assert.equal(problems.length, 1, JSON.stringify(catalog.problems));
      assert.match(problems[0]!.message, expected);
      assert.ok(!problems[0]!.message.includes(LEAK), 'file contents are not echoed');
    });
  }

  test('a good connector loads alongside the bad ones, with every built-in', () => {
    const acme = findService(catalog, 'acme');
    assert.ok(acme);
    assert.deepEqual(acme.source, { kind: 'connector', file: join(dir, 'acme.json') });
    assert.equal(acme.service.auth.method, 'api_key');
    assert.equal(catalog.entries.length, builtinEntries().length + 1);
    assert.equal(getService(catalog, 'github').source.kind, 'builtin', 'a colliding connector never replaces a built-in');
    assert.equal(catalog.problems.some((p) => p.file.endsWith('README.txt')), false);
  });

  test('two connectors with one id: neither loads, each problem names the other file', () => {
    assert.equal(findService(catalog, 'dup'), undefined);
    assert.match(problemFor('dup-a.json')[0]?.message ?? '', /id: "dup" is also used by dup-b\.json/);
    assert.match(problemFor('dup-b.json')[0]?.message ?? '', /id: "dup" is also used by dup-a\.json/);
  });

  test('every problem belongs to a file that was written', () => {
    const expected = [...Object.keys(BAD), 'dup-a.json', 'dup-b.json'].map((n) => join(dir, n)).sort();
    assert.deepEqual(catalog.problems.map((p) => p.file).sort(), expected);
  });

  test('a missing connectors folder is simply no connectors', async () => {
    const c = await loadCatalog(join(dir, 'does-not-exist'));
    assert.deepEqual(c.problems, []);
    assert.equal(c.entries.length, builtinEntries().length);
  });

  test('getService throws not_found for an unknown id', () => {
    assert.throws(() => getService(catalog, 'nope'), { code: 'not_found' });
  });

  test('an OAuth connector may give only its issuer (endpoints are discovered)', () => {
    const result = validateConnectorText(JSON.stringify(good('issuer-only', { auth: { ...oauthAuth, oauth: { issuer: 'https://login.acme.example' } } })));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.service.auth.oauth?.authorizationUrl, undefined);
    assert.equal(result.service.auth.oauth?.dynamicRegistration, true);
  });

  test('validateConnectorFile answers for one file', async () => {
    const ok = await validateConnectorFile(join(dir, 'acme.json'));
    assert.equal(ok.ok && ok.service.id, 'acme');
    const bad = await validateConnectorFile(join(dir, 'host-mismatch.json'));
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.message, /apiBaseUrl: /);
    const missing = await validateConnectorFile(join(dir, 'nope.json'));
    assert.deepEqual(missing, { ok: false, message: 'no such file' });
  });
});
