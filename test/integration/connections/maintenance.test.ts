import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { runMaintenance } from '../../../electron/core/connections/maintenance';
import { createCore } from '../../../electron/core/sophon-core';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

describe('scheduled maintenance of API-key connections', async () => {
  const { home, cleanup } = await tempHome();
  const api = await startUserApi('good-token-0123456789');
  afterAll(async () => {
    await api.close();
    await cleanup();
  });

  test('a connection whose last test is a day old is tested again; a broken one shows up as an error', async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'api.json'), userApiConnector('api', api.port));
    const core = await createCore({ home });
    const ok = (await core.connections.add('default', { serviceId: 'api', label: 'Good', secret: 'good-token-0123456789' })).connection;
    const bad = (await core.connections.add('default', { serviceId: 'api', label: 'Bad', secret: 'revoked-token-0123456789', test: false })).connection;
    const seen = api.seen.length;
    assert.deepEqual((await runMaintenance(core)).retested, [bad.id], 'only the never-tested one is due now');
    const later = await runMaintenance(core, { now: Date.now() + 25 * 3_600_000 });
    assert.deepEqual(later.retested.sort(), [bad.id, ok.id].sort());
    assert.equal(api.seen.length, seen + 3);
    const status = await core.connections.status('default', bad.id);
    assert.equal(status.state, 'error');
    assert.match(status.stateReason ?? '', /rejected/);
    assert.equal((await core.connections.status('default', ok.id)).state, 'active');
    core.close();
  });
});
