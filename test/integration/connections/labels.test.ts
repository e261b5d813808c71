import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { isSophonError } from '../../../electron/core/errors';
import { createCore } from '../../../electron/core/sophon-core';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { tempHome } from '../../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { bearerService, catalogOf } from '../../helpers/services';
import { browserOpener } from '../oauth/drive';

const catalog = catalogOf(bearerService('api', 'http://127.0.0.1:9'));

/** The SophonError a promise rejects with (its message tested by the caller). */
async function refusal(p: Promise<unknown>): Promise<Error & { code: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  assert.ok(isSophonError(err), `expected a refusal, got ${String(err)}`);
  return err;
}

describe('connection labels: one normal form, no look-alike characters', async () => {
  const { home, cleanup } = await tempHome();
  const core = await createCore({ home, catalog });
  afterAll(async () => {
    core.close();
    await cleanup();
  });
  const add = (label: string) => core.connections.add('alice', { serviceId: 'api', label, secret: 'secret-value-0123456789', test: false });

  test('a decomposed label is stored NFC, and its composed twin is a duplicate', async () => {
    const { connection } = await add('Cafe\u0301 work');
    assert.equal(connection.label, 'Caf\u00e9 work');
    assert.equal(connection.label.length, 9);
    const dup = await refusal(add('Caf\u00e9 work'));
    assert.equal(dup.code, 'invalid_input');
    assert.match(dup.message, /already have .* labelled "Café work"/);
    const other = await add('Other');
    const renamed = await refusal(core.connections.rename('alice', other.connection.id, 'Cafe\u0301 work'));
    assert.match(renamed.message, /already labelled "Café work"/);
  });

  const refused: [string, string, RegExp][] = [
    ['a lone high surrogate', 'bad\ud800label', /unpaired surrogate U\+D800/],
    ['a lone low surrogate', '\udc00x', /unpaired surrogate U\+DC00/],
    ['a right-to-left override', 'gmail\u202ekrow', /bidirectional control character U\+202E/],
    ['a left-to-right isolate', 'a\u2066b', /bidirectional control character U\+2066/],
    ['a right-to-left mark', 'a\u200fb', /bidirectional control character U\+200F/],
    ['an Arabic letter mark', 'a\u061cb', /bidirectional control character U\+061C/],
    ['a zero-width space', 'Per\u200bsonal', /invisible character U\+200B/],
    ['a zero-width joiner', 'a\u200db', /invisible character U\+200D/],
    ['a word joiner', 'a\u2060b', /invisible character U\+2060/],
    ['a byte-order mark', 'Wo\ufeffrk', /invisible character U\+FEFF/],
    ['a soft hyphen', 'Wo\u00adrk', /invisible character U\+00AD/],
    ['a Hangul filler', 'a\u3164b', /invisible character U\+3164/],
    ['a control character', 'a\u0007b', /control character U\+0007/],
  ];
  for (const [what, label, message] of refused) {
    test(`add and rename refuse ${what}, naming it`, async () => {
      const before = (await core.connections.list('alice')).length;
      const err = await refusal(add(label));
      assert.equal(err.code, 'invalid_input');
      assert.match(err.message, message);
      assert.equal((await core.connections.list('alice')).length, before, 'nothing was stored');
      const target = (await core.connections.list('alice'))[0]!;
      const renamed = await refusal(core.connections.rename('alice', target.id, label));
      assert.match(renamed.message, message);
      assert.equal((await core.connections.status('alice', target.id)).label, target.label);
    });
  }

  test('ordinary non-Latin labels, emoji and spacing are kept (whitespace collapsed)', async () => {
    for (const label of ['Работа', 'עבודה', '仕事 🚀', 'Ünïcödé']) assert.equal((await add(label)).connection.label, label.normalize('NFC'));
    assert.equal((await add('  spaced \t out  ')).connection.label, 'spaced out');
  });

  test('too long after normalising, or empty: refused with the reason', async () => {
    assert.match((await refusal(add('x'.repeat(81)))).message, /81 characters long; the most is 80/);
    assert.match((await refusal(add(' \t '))).message, /label is empty/);
  });
});

describe('a label Sophon derives from a sign-in account: look-alike characters dropped, the sign-in not failed', () => {
  let server: TestOidcServer;
  let browser: Browser;
  const home = tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } });
  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 60 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await (await home).cleanup();
  });

  test('an account name with a right-to-left override and a zero-width space', async () => {
    const core = await createCore({ home: (await home).home, catalog: catalogOf({ ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] }) });
    const { context, page } = await freshPage(browser);
    try {
      const opener = browserOpener(page, { login: 'ev\u202eli\u200bm' });
      const { connection } = await core.connections.add('alice', { serviceId: 'oidc', test: false, oauth: { openUrl: opener.openUrl, timeoutMs: 60_000 } });
      await opener.done;
      assert.equal(connection.label, 'Test OIDC (evlim@example.test)');
    } finally {
      await context.close();
      core.close();
    }
  });
});
