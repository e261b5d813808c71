import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { AmbiguousConnectionError, resolveConnectionRef } from '../../../electron/core/connections/connection-ref';
import type { ConnectionRecord } from '../../../electron/core/connections/connection-store';
import { isSophonError } from '../../../electron/core/errors';

function record(id: string, serviceId: string, label: string, state: ConnectionRecord['state'] = 'active'): ConnectionRecord {
  return {
    id, serviceId, label, state, userId: 'u', authMethod: 'api_key', scopes: [], fields: {}, stateReason: null, account: null, secretHint: null,
    createdAt: 0, updatedAt: 0, lastUsedAt: null, expiresAt: null, lastTestAt: null, lastTestStatus: null, lastTestMessage: null,
  };
}

describe('naming a connection', () => {
  const all = [record('gmail-a1', 'gmail', 'Personal'), record('gmail-b2', 'gmail', 'Work'), record('github-c3', 'github', 'GitHub'), record('notion-d4', 'notion', 'Notes', 'pending')];

  test('by id, by label (any case), or by service when there is only one', () => {
    assert.equal(resolveConnectionRef(all, 'gmail-b2').id, 'gmail-b2');
    assert.equal(resolveConnectionRef(all, 'work').id, 'gmail-b2');
    assert.equal(resolveConnectionRef(all, 'github').id, 'github-c3');
  });

  test('a service with two connections is ambiguous and lists both', () => {
    assert.throws(
      () => resolveConnectionRef(all, 'gmail'),
      (err: unknown) => {
        assert.ok(err instanceof AmbiguousConnectionError);
        assert.equal(err.code, 'ambiguous');
        assert.deepEqual(err.choices.map((c) => c.id), ['gmail-a1', 'gmail-b2']);
        assert.match(err.message, /Personal \(gmail, gmail-a1\); Work \(gmail, gmail-b2\)/);
        return true;
      },
    );
  });

  test('unknown names and unfinished adds are not found', () => {
    assert.throws(() => resolveConnectionRef(all, 'slack'), (err: unknown) => isSophonError(err, 'not_found'));
    assert.throws(() => resolveConnectionRef(all, 'notion-d4'), (err: unknown) => isSophonError(err, 'not_found'));
  });
});
