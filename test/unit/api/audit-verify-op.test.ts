import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { afterAll, test } from 'vitest';
import { createOperations } from '../../../electron/core/api/operations';
import { createCore } from '../../../electron/core/sophon-core';
import { OPERATIONS } from '../../../shared/contract';
import { tempHome } from '../../helpers/home';

test('audit.verify: admins only; the report fits the contract, checks the head with the vault key, and names a break', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const core = await createCore({ home });
  try {
    // A process that used the vault key (as the broker does) signs the head as it writes.
    await core.keys.get();
    core.audit.recordMany(Array.from({ length: 5 }, (_, i) => ({ userId: 'default', action: 'use' as const, outcome: 'ok' as const, detail: `#${i}` })));
    const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
    await assert.rejects(ops['audit.verify']({ userId: 'default', isAdmin: false }, {}), (err: Error & { code?: string }) => err.code === 'forbidden');
    const report = OPERATIONS['audit.verify'].output.parse(await ops['audit.verify']({ userId: 'default', isAdmin: true }, {}));
    assert.deepEqual([report.ok, report.rows, report.head.state, report.head.rowId, report.break], [true, 5, 'verified', 5, null]);
    execFileSync('/usr/bin/sqlite3', [core.paths.database, 'DELETE FROM audit WHERE id = 2']);
    const broken = await ops['audit.verify']({ userId: 'default', isAdmin: true }, {});
    assert.deepEqual([broken.ok, broken.break?.kind, broken.break?.rowId], [false, 'deleted', 2]);
  } finally {
    core.close();
  }
});
