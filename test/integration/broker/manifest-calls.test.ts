import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { mintBrokerToken } from '../../../electron/core/broker/mint';
import type { CallLimits } from '../../../electron/core/broker/call-limits';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerApi, brokerFixture, errorCode, type BrokerFixture } from './fixture';

const SECRET = 'res-secret-token-0123456789abcdef';

describe('broker: a token minted for a skill\'s tool carries its manifest\'s methods and paths, and the broker holds it to them', async () => {
  let api: ResourceServer;
  let fx: BrokerFixture;
  let resId = '';
  let patId = '';

  beforeAll(async () => {
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : null));
    // Two services of one family, as github (OAuth) and github-pat are.
    fx = await brokerFixture([bearerApi('res', api.url, { family: 'res' }), bearerApi('res-pat', api.url, { family: 'res' })]);
    resId = (await fx.core.connections.add('default', { serviceId: 'res', secret: SECRET, test: false })).connection.id;
    patId = (await fx.core.connections.add('default', { serviceId: 'res-pat', secret: SECRET, test: false })).connection.id;
  });
  afterAll(async () => {
    await fx?.close();
    await api?.close();
  });

  const mint = (skill: string, connectionId: string, calls?: CallLimits) => {
    const record = fx.core.store.get(connectionId)!;
    return fx.core.connections.service(record.serviceId).then((service) => mintBrokerToken(fx.tokens, fx.core.audit, { userId: 'default', skill, tool: 'run', grants: [{ record, service, scopes: [], calls }], ttlSeconds: 60 }).token);
  };
  const call = async (token: string, path: string, method = 'GET', ref = 'res') => {
    const r = await fetch(`${fx.server.url}/v1/proxy/${ref}${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(method === 'POST' ? { body: '{}' } : {}) });
    const body = await r.text();
    return { status: r.status, body, code: errorCode(body) };
  };
  /** The broker writes audit rows in batches (every 100 ms): wait for the one expected. */
  const auditRow = async (skill: string, pattern: RegExp) => {
    for (let i = 0; i < 40; i++) {
      const row = fx.core.audit.query({ userId: 'default', skill, limit: 1000 }).find((r) => r.action === 'broker_use' && r.outcome === 'denied' && pattern.test(r.detail ?? ''));
      if (row) return row;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no denied broker_use row of ${skill} matching ${pattern}`);
  };

  test('an allowed GET passes; a method or a path the manifest does not declare is 403 not_in_manifest, never reaches the service, and is audited', async () => {
    const token = await mint('limited', resId, { service: 'res', methods: ['GET'], paths: ['/user', '/repos/*/issues'] });
    const ok = await call(token, '/user');
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { login: 'octo' });

    const before = api.seen.length;
    const post = await call(token, '/user', 'POST');
    assert.deepEqual([post.status, post.code], [403, 'not_in_manifest'], post.body);
    assert.match(post.body, /allows GET on res, not POST/);
    const hello = await call(token, '/hello');
    assert.deepEqual([hello.status, hello.code], [403, 'not_in_manifest'], hello.body);
    // No prefix confusion: /repos/* never matches /repos-evil.
    for (const path of ['/repos-evil', '/repos-evil/x/issues', '/user/keys', '/user/', '/repos/x/issues/1', '/admin?/user']) {
      const r = await call(token, path);
      assert.deepEqual([r.status, r.code], [403, 'not_in_manifest'], `${path}: ${r.body}`);
    }
    assert.equal(api.seen.length, before, 'no refused call reached the service');

    // An encoded "/" is refused by the broker's own checks before any pattern is tried.
    const slash = await call(token, '/repos/a%2Fb/issues');
    assert.deepEqual([slash.status, slash.code], [400, 'path_traversal'], slash.body);
    // Matched as the service reads it: a percent-encoded letter is that letter.
    const encoded = await call(token, '/rep%6Fs/octo/issues');
    assert.equal(encoded.status, 404, 'let through to the service (which has no such route)');
    assert.equal(api.seen.at(-1)!.url, '/rep%6Fs/octo/issues');

    const row = await auditRow('limited', /^not_in_manifest: POST \/user: /);
    assert.deepEqual([row.connectionId, row.tool], [resId, 'run']);
    await auditRow('limited', /^not_in_manifest: GET \/hello: /);
    await auditRow('limited', /^not_in_manifest: GET \/repos-evil: /);
  });

  test('a manifest token that lists no limits for its connection gets nothing through it (fail closed)', async () => {
    const { token } = fx.tokens.mint({ userId: 'default', skill: 'odd', tool: 'run', connectionIds: [resId], scopes: {}, allowedHosts: { [resId]: [api.host] }, calls: {}, ttlSeconds: 60 });
    const r = await call(token, '/user');
    assert.deepEqual([r.status, r.code], [403, 'not_in_manifest'], r.body);
  });

  test('a token minted without a manifest keeps working as before: any method and path', async () => {
    const token = await mint('plain', resId);
    assert.equal((await call(token, '/hello')).status, 200);
    assert.equal(fx.tokens.check(token).ok && fx.tokens.check(token).binding?.calls, null);
  });

  test('the service the manifest named finds the connection of its family that the token was minted with', async () => {
    const token = await mint('family', patId, { service: 'res', methods: ['GET'], paths: ['/user'] });
    const r = await call(token, '/user', 'GET', 'res');
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { login: 'octo' });
    assert.equal((await call(token, '/user', 'GET', 'res-pat')).status, 200, 'its own service id still names it');
    const denied = await call(token, '/hello', 'GET', 'res');
    assert.deepEqual([denied.status, denied.code], [403, 'not_in_manifest']);
    // The binding is in sophon.db: a broker in another process reads the same limits.
    const check = fx.tokens.check(token);
    assert.ok(check.ok);
    assert.deepEqual(check.binding.calls, { [patId]: { service: 'res', methods: ['GET'], paths: ['/user'] } });
  });
});
