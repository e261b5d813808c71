import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { createApi, parseSseBlock, SophonApiError } from '../../../shared/client';
import { EVENTS, OPERATIONS } from '../../../shared/contract';
import { ErrorCodes } from '../../../shared/errors';
import { EVENT_NAMES, HTTP_STATUS_OF_CODE, OPERATION_NAMES } from '../../../shared/operations';

describe('the shared contract', () => {
  test('declares exactly the operations and events listed in operations.ts', () => {
    assert.deepEqual(Object.keys(OPERATIONS).sort(), [...OPERATION_NAMES].sort());
    assert.deepEqual(Object.keys(EVENTS).sort(), [...EVENT_NAMES].sort());
  });

  test('every error code has an HTTP status', () => {
    for (const code of ErrorCodes) assert.ok(HTTP_STATUS_OF_CODE[code] >= 400, code);
  });

  test('inputs are strict: an unknown key (e.g. a secret sent where none belongs) is refused', () => {
    assert.equal(OPERATIONS['connections.list'].input.safeParse({ secret: 'x' }).success, false);
    assert.equal(OPERATIONS['connections.rename'].input.safeParse({ connection: 'a', label: 'b', extra: 1 }).success, false);
    assert.equal(OPERATIONS['connections.rename'].input.safeParse({ connection: 'a', label: 'b' }).success, true);
    assert.equal(OPERATIONS['audit.query'].input.safeParse({ since: 'yesterday' }).success, false);
  });

  test('createApi derives one function per operation and throws a typed error on ok:false', async () => {
    const seen: string[] = [];
    const api = createApi(async (op, input) => {
      seen.push(op);
      if (op === 'connections.get') return { ok: false, error: { code: 'not_found', message: `no ${(input as { connection: string }).connection}` } };
      return { ok: true, value: { userId: 'default', isAdmin: true } };
    });
    assert.deepEqual(Object.keys(api).sort(), [...OPERATION_NAMES].sort());
    assert.deepEqual(await api['session.info']({}), { userId: 'default', isAdmin: true });
    await assert.rejects(api['connections.get']({ connection: 'gh' }), (err: unknown) => err instanceof SophonApiError && err.code === 'not_found' && err.message === 'no gh');
    assert.deepEqual(seen, ['session.info', 'connections.get']);
  });

  test('parseSseBlock reads an event block and ignores keep-alives', () => {
    assert.deepEqual(parseSseBlock('event: oauth.progress\ndata: {"a":1}'), { event: 'oauth.progress', data: { a: 1 } });
    assert.equal(parseSseBlock(': keep-alive'), null);
  });
});
