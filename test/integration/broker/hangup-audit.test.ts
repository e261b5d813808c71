// Issue #18: a call the broker forwarded keeps its one `broker_use` row whatever its caller does. Callers
// hang up at every point (mid-request line, right after the request, while the service is still thinking,
// after the answer) against a slow service, and the broker is stopped while calls whose callers are gone
// are still upstream: once close() returns, the rows are exactly the requests the service saw.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerApi, brokerFixture, type BrokerFixture } from './fixture';

const SECRET = 'hangup-secret-token-0123456789abcdef';
const CALLS = 240;

/** A fixed pseudo-random sequence (the test is the same every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('broker: a caller that hangs up loses no audit row', () => {
  let api: ResourceServer;
  let fx: BrokerFixture;
  let connectionId = '';
  // The service answers /user after 0–250 ms: calls are upstream when their callers leave, and when the broker stops.
  const delay = lcg(7);

  beforeAll(async () => {
    api = await startResourceServer(async (t) => {
      await sleep(Math.floor(delay() * 250));
      return t === SECRET ? 'octo' : null;
    });
    fx = await brokerFixture([bearerApi('slow-api', api.url)]);
    connectionId = (await fx.core.connections.add('default', { serviceId: 'slow-api', secret: SECRET, test: false })).connection.id;
  });
  afterAll(async () => {
    await fx?.close();
    await api?.close();
  });

  /** One caller: sends a GET and leaves at the point `mode` names; resolves when its socket is closed. */
  function caller(token: string, mode: number, waitMs: number): Promise<void> {
    const request = `GET /v1/proxy/${connectionId}/user HTTP/1.1\r\nHost: 127.0.0.1:${fx.server.port}\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    return new Promise((resolve) => {
      const socket: Socket = connect(fx.server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      // A reset (RST) or an orderly close (FIN): both are a caller that is gone.
      const leave = () => (mode % 2 === 0 ? socket.resetAndDestroy() : socket.destroy());
      socket.on('connect', () => {
        if (mode === 0) {
          // Half a request line: no request, nothing forwarded, nothing to audit.
          socket.write(request.slice(0, 20), leave);
          return;
        }
        socket.write(request);
        if (mode <= 2) setImmediate(leave);
        else if (mode <= 5) setTimeout(leave, waitMs);
        else socket.on('data', (d: Buffer) => d.includes('"login"') && leave());
      });
    });
  }

  test('callers leave at random points while the service is slow; stopped with calls upstream: one row per request the service saw', async () => {
    const token = await fx.mint('hangup', 'get', [connectionId]);
    const pick = lcg(42);
    const callers: Promise<void>[] = [];
    for (let i = 0; i < CALLS; i++) {
      callers.push(caller(token, Math.floor(pick() * 7), Math.floor(pick() * 200)));
      if (i % 20 === 19) await sleep(15);
    }
    // The last callers leave at once: their calls are still upstream when the broker is told to stop.
    for (let i = 0; i < 20; i++) callers.push(caller(token, 1, 0));
    await Promise.all(callers);
    await fx.server.close();
    const seen = api.seen.filter((r) => r.url === '/user').length;
    const rows = fx.core.audit.query({ action: 'broker_use', skill: 'hangup', limit: 10_000 });
    assert.ok(seen > CALLS / 2, `most callers got a request through (${seen})`);
    assert.equal(rows.length, seen, `one row per forwarded request: ${JSON.stringify(rows.filter((r) => r.outcome !== 'ok').slice(0, 3))}`);
    assert.equal(rows.filter((r) => r.outcome === 'ok').length, seen, 'each one the service answered is ok');
    // Nothing arrives late either.
    await sleep(300);
    assert.equal(fx.core.audit.count({ action: 'broker_use', skill: 'hangup' }), seen);
  });
});

describe('broker: a call still running when the broker stops', () => {
  let fx: BrokerFixture;
  let upstream: Server;
  let arrived: () => void = () => undefined;

  beforeAll(async () => {
    // A service that takes the request and never answers.
    upstream = createServer(() => arrived());
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    fx = await brokerFixture([bearerApi('stuck-api', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)]);
  });
  afterAll(async () => {
    await fx?.close();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  test('is audited once, as aborted (broker_stopped), before the flush: not again when its upstream connection is cut', async () => {
    const id = (await fx.core.connections.add('default', { serviceId: 'stuck-api', secret: SECRET, test: false })).connection.id;
    const token = await fx.mint('stuck', 'get', [id]);
    const upstreamGotIt = new Promise<void>((resolve) => (arrived = resolve));
    const answer = fetch(`${fx.server.url}/v1/proxy/${id}/user`, { headers: { authorization: `Bearer ${token}` } });
    await upstreamGotIt;
    fx.broker.close();
    const rows = () => fx.core.audit.query({ action: 'broker_use', skill: 'stuck' });
    assert.deepEqual(rows().map((r) => [r.outcome, r.detail?.split(':')[0], r.connectionId]), [['aborted', 'broker_stopped', id]]);
    // Its upstream connection is gone: the caller is told, and that is not a second row.
    assert.equal((await answer).status, 502);
    await sleep(250);
    fx.broker.close();
    assert.equal(rows().length, 1);
  });
});
