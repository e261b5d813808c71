import assert from 'node:assert/strict';
import { stripVTControlCharacters, styleText } from 'node:util';
import { describe, test } from 'vitest';
import { table, truncate, visibleWidth } from '../../../electron/cli/io';
import { authMethodName, withArticle } from '../../../shared/auth-names';

const green = (s: string) => styleText('green', s, { validateStream: false });
/** Where each column starts on each line, from the plain text (two spaces between columns). */
const starts = (line: string) => [...stripVTControlCharacters(line).matchAll(/(?:^|(?<= {2}))\S/g)].map((m) => m.index);

describe('CLI tables', () => {
  test('colour codes take no width: coloured cells line up with plain ones', () => {
    const out = table([
      ['ID', 'STATE', 'LAST USED'],
      ['a-1', green('active'), '2026-11-01 10:00'],
      ['b-22', 'error', '-'],
    ]).split('\n');
    assert.deepEqual(starts(out[1]!), starts(out[0]!));
    assert.deepEqual(starts(out[2]!), starts(out[0]!));
    assert.ok(out[1]!.includes('\u001b[32m'), 'the colour stays');
  });

  test('no width (a pipe): every value whole, however long', () => {
    const long = 'x'.repeat(200);
    assert.ok(table([['ID', 'LABEL'], ['a', long]]).includes(long));
  });

  test('a width: drop columns in the order given, then cut the shrinkable ones with an ellipsis', () => {
    const rows = [
      ['ID', 'SERVICE', 'LABEL', 'LAST TEST'],
      ['openai-0123456789', 'openai', 'A very long label that does not fit anywhere near here', 'ok 2026-11-01 10:00'],
    ];
    const fitted = table(rows, { width: 60, drop: [3, 1], shrink: [2] }).split('\n');
    for (const line of fitted) assert.ok(visibleWidth(line) <= 60, `${line.length}: ${line}`);
    assert.ok(!fitted[0]!.includes('LAST TEST'), 'the first column to drop went');
    assert.ok(fitted[0]!.includes('SERVICE'), 'a second drop was not needed');
    assert.match(fitted[1]!, /A very long label.*…$/);
    // Wide enough: nothing changes.
    assert.equal(table(rows, { width: 200, drop: [3, 1], shrink: [2] }), table(rows));
  });

  test('truncate counts visible characters', () => {
    assert.equal(truncate(green('active'), 6), green('active'));
    assert.equal(truncate(green('needs re-auth'), 6), 'needs…');
  });
});

describe('words for people', () => {
  test('friendly auth names; the raw method when unknown', () => {
    assert.equal(authMethodName('oauth2'), 'OAuth');
    assert.equal(authMethodName('api_key'), 'API key');
    assert.equal(authMethodName('bearer', 'Personal access token'), 'Token');
    assert.equal(authMethodName('bearer', 'API key'), 'API key');
    assert.equal(authMethodName('basic'), 'Username & password');
    assert.equal(authMethodName('smtp_imap'), 'Mail (SMTP/IMAP)');
    assert.equal(authMethodName('webhook_url'), 'Webhook');
    assert.equal(authMethodName('none'), 'None');
  });

  test('articles: an OpenAI API key, an API key, a token, a GitHub connection', () => {
    assert.equal(withArticle('OpenAI API'), 'an OpenAI API');
    assert.equal(withArticle('API key'), 'an API key');
    assert.equal(withArticle('SMTP password'), 'an SMTP password');
    assert.equal(withArticle('token'), 'a token');
    assert.equal(withArticle('GitHub'), 'a GitHub');
    assert.equal(withArticle('Personal access token'), 'a Personal access token');
  });
});
