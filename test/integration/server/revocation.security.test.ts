// The REST server looks at the token file before each event it delivers, not only on its timer: an
// event emitted right after a revocation (made by another process) never reaches the revoked token.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { EventHub } from '../../../electron/core/api/events';
import { createOperations } from '../../../electron/core/api/operations';
import { ApiTokenStore } from '../../../electron/core/api-tokens/token-store';
import { createCore, type Core } from '../../../electron/core/sophon-core';
import { startRestServer, type RestServer } from '../../../electron/server/rest-server';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

function stream(port: number, token: string) {
  let text = '';
  let ended = false;
  const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/api/events', headers: { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${token}` } }, (res) => {
    res.on('data', (c: Buffer) => (text += c.toString()));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  req.end();
  const until = async (what: string, ok: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms:\n${text.slice(-1000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { text: () => text, ended: () => ended, until, close: () => req.destroy() };
}

describe('REST: a revoked token hears no event, even before the next revocation sweep', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let core: Core;
  let hub: EventHub;
  let server: RestServer;

  beforeAll(async () => {
    home = await tempHome();
    core = await createCore({ home: home.home, env: {} });
    hub = new EventHub();
    const operations = createOperations({ core, ownerUserId: 'default', emit: (userId, event, payload) => hub.emit(userId, event, payload) });
    // A sweep interval far beyond the test: only the check at delivery can stop the event.
    server = await startRestServer({ operations, tokens: new ApiTokenStore(core.paths.configDir), events: hub, rendererDir: join(home.home, 'none'), revocationCheckMs: 600_000 });
  });

  afterAll(async () => {
    await server?.close();
    core?.close();
    await home?.cleanup();
  });

  test('revoked by `sophon api-token revoke`: the next event ends that stream instead of reaching it; the same user\'s other token hears it', async () => {
    const make = async () => json<{ token: string; id: string }>(await sophon(['api-token', 'create', '--user', 'dave', '--json'], { home: home.home }));
    const revoked = await make();
    const kept = await make();
    const a = stream(server.port, revoked.token);
    const b = stream(server.port, kept.token);
    await a.until('not connected', () => a.text().includes(': connected'));
    await b.until('not connected', () => b.text().includes(': connected'));

    const r = await sophon(['api-token', 'revoke', revoked.id], { home: home.home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(hub.emit('dave', 'connections.changed', { connections: [] }), 2);
    await b.until('the kept token heard no event', () => b.text().includes('event: connections.changed'));
    await a.until('the revoked stream was not ended', () => a.ended());
    assert.ok(!a.text().includes('event: connections.changed'), a.text());
    assert.equal(b.ended(), false);
    b.close();
  });
});
