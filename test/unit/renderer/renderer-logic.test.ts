// The renderer's pure parts: every error code has its own sentence, and hash routes round-trip.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ErrorCodes } from '../../../shared/errors';
import { SophonApiError } from '../../../shared/client';
import { describeError } from '../../../renderer/src/errors';
import { href, parseRoute } from '../../../renderer/src/routes';

describe('renderer: error wording', () => {
  test('every error code of the contract has a sentence of its own (not the generic one)', () => {
    const generic = describeError(new SophonApiError('internal', '')).title;
    for (const code of ErrorCodes) {
      const t = describeError(new SophonApiError(code, 'detail from the server'));
      assert.equal(t.code, code);
      assert.equal(t.detail, 'detail from the server');
      if (code !== 'internal') assert.notEqual(t.title, generic, `${code} has its own sentence`);
    }
  });

  test('an unknown code or a plain error falls back to the generic sentence, keeping the message', () => {
    const t = describeError(new Error('boom'));
    assert.deepEqual([t.code, t.detail], ['internal', 'boom']);
    assert.equal(describeError({ code: 'brand_new_code', message: 'm' }).title, describeError(new SophonApiError('internal', '')).title);
  });
});

describe('renderer: hash routes', () => {
  test('each link parses back to its page', () => {
    assert.deepEqual(parseRoute(href.connections), { page: 'connections' });
    assert.deepEqual(parseRoute(href.add()), { page: 'add', serviceId: null });
    assert.deepEqual(parseRoute(href.add('github-pat')), { page: 'add', serviceId: 'github-pat' });
    assert.deepEqual(parseRoute(href.connection('openai-0a1b2c3d4e')), { page: 'connection', id: 'openai-0a1b2c3d4e' });
    for (const page of ['audit', 'models', 'logins', 'vault', 'settings'] as const) assert.deepEqual(parseRoute(href[page]), { page });
  });

  test('empty, a leftover sign-in fragment, or a connection without id is the connection list', () => {
    for (const h of ['', '#', '#/', '#token=abc', '#code=abc', '#/connection/']) assert.deepEqual(parseRoute(h), { page: 'connections' }, h);
  });

  test('an address no page answers is "not found", naming what was asked, even with a broken escape', () => {
    assert.deepEqual(parseRoute('#/nowhere'), { page: 'not-found', path: 'nowhere' });
    assert.deepEqual(parseRoute('#/settings%E0/x'), { page: 'not-found', path: 'settings%E0/x' });
  });
});
