import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { BrokerRefusal, checkTarget, forwardableHeaders } from '../../../electron/core/broker/request-guard';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BrokerRefusal);
    return err.code;
  }
  return 'accepted';
};

describe('request guard', () => {
  test('paths under the base URL are accepted as sent', () => {
    for (const p of ['/user', '/repos/o/r/issues?state=open&q=a%20b', '/users/@me', '/a/b.c/..d', '/a%20b', '/v1/files/x%2Ey']) assert.equal(checkTarget(p), p);
    assert.equal(checkTarget(''), '/');
  });

  test('URLs, scheme-relative paths, traversal in any encoding, encoded separators, controls and fragments are refused', () => {
    const cases: [string, string][] = [
      ['http://evil.example/x', 'absolute_url'],
      ['HTTPS://evil.example', 'absolute_url'],
      ['javascript:alert(1)', 'absolute_url'],
      ['//evil.example/x', 'absolute_url'],
      ['user', 'bad_path'],
      ['/a/../b', 'path_traversal'],
      ['/..', 'path_traversal'],
      ['/./a', 'path_traversal'],
      ['/%2e%2e/a', 'path_traversal'],
      ['/%2E%2E/a', 'path_traversal'],
      ['/.%2e/a', 'path_traversal'],
      ['/%252e%252e/a', 'path_traversal'],
      ['/a%2fb', 'path_traversal'],
      ['/a%2F..', 'path_traversal'],
      ['/a%5cb', 'path_traversal'],
      ['/a%00b', 'path_traversal'],
      ['/a\\b', 'path_traversal'],
      ['/a b', 'bad_path'],
      ['/a\r\nHost: x', 'bad_path'],
      ['/é', 'bad_path'],
      ['/a#frag', 'bad_path'],
      ['/%zz', 'bad_path'],
    ];
    for (const [p, code] of cases) assert.equal(codeOf(() => checkTarget(p)), code, p);
  });

  test('hop-by-hop, credential, routing and Sophon headers are stripped; others kept; CR/LF refused', () => {
    const out = forwardableHeaders(
      {
        Host: 'evil.example',
        Connection: 'close, X-Secret-Hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        authorization: 'Bearer sbt_x',
        'proxy-authorization': 'x',
        cookie: 'a=b',
        'x-forwarded-for': '1.2.3.4',
        forwarded: 'for=1',
        'x-sophon-broker-token': 't',
        'transfer-encoding': 'chunked',
        'content-length': '5',
        'accept-encoding': 'gzip',
        'x-api-key': 'k',
        'X-Custom': 'kept',
        accept: ['a', 'b'],
        'private-token': 'mine',
      },
      ['private-token'],
    );
    assert.deepEqual(out, { 'x-custom': 'kept', accept: 'a, b' });
    assert.equal(codeOf(() => forwardableHeaders({ 'x-a': 'b\r\nHost: evil' })), 'bad_header');
    assert.equal(codeOf(() => forwardableHeaders({ 'bad name': 'x' })), 'bad_header');
  });
});
