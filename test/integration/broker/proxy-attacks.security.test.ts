import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerApi, brokerFixture, errorCode, rawRequest, type BrokerFixture } from './fixture';

const SECRET = 'ghp_RealSecretToken/with+odd=chars"and\\quotes';
const OTHER_SECRET = 'other-service-secret-123456';
const PUBLIC_SECRET = 'public-api-secret-abcdef';

/** Every form the real secret could come back in. */
function leaks(text: string): string[] {
  const forms = [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('base64url'), JSON.stringify(SECRET).slice(1, -1)];
  return forms.filter((f) => text.includes(f));
}

describe('broker proxy: the attack suite', async () => {
  let api: ResourceServer;
  let fx: BrokerFixture;
  let resId = '';
  let otherId = '';
  let publicId = '';
  let rebindId = '';
  let literalIds: string[] = [];
  let token = '';
  const bodies: string[] = [];

  beforeAll(async () => {
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : t === OTHER_SECRET ? 'other' : null));
    const port = api.port;
    // Names resolved by the test's resolver, as a hostile DNS would answer them.
    const dns: Record<string, { address: string; family: number }[]> = {
      'api.example.test': [{ address: '127.0.0.1', family: 4 }],
      'rebind.example.test': [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ],
    };
    fx = await brokerFixture(
      [
        bearerApi('res', api.url),
        bearerApi('other', api.url),
        bearerApi('public-api', `http://api.example.test:${port}`, { local: false }),
        bearerApi('rebind-api', `http://rebind.example.test:${port}`, { local: false }),
        bearerApi('decimal-ip', `http://2130706433:${port}`, { local: false }),
        bearerApi('octal-ip', `http://0177.0.0.1:${port}`, { local: false }),
        bearerApi('mapped-ipv6', `http://[::ffff:127.0.0.1]:${port}`, { local: false }),
        bearerApi('ipv6-loopback', `http://[::1]:${port}`, { local: false }),
      ],
      {
        settings: { MaxRequestBytes: 1024, MaxResponseBytes: 64 * 1024 },
        resolver: async (name) => {
          const answer = dns[name];
          if (!answer) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
          return answer;
        },
        server: { headersTimeoutMs: 1500, requestTimeoutMs: 3000, checkIntervalMs: 250 },
      },
    );
    const add = async (serviceId: string, secret: string) => (await fx.core.connections.add('default', { serviceId, secret, test: false })).connection.id;
    resId = await add('res', SECRET);
    otherId = await add('other', OTHER_SECRET);
    publicId = await add('public-api', PUBLIC_SECRET);
    rebindId = await add('rebind-api', PUBLIC_SECRET);
    literalIds = [await add('decimal-ip', PUBLIC_SECRET), await add('octal-ip', PUBLIC_SECRET), await add('mapped-ipv6', PUBLIC_SECRET), await add('ipv6-loopback', PUBLIC_SECRET)];
    token = await fx.mint('skill-a', 'whoami', [resId]);
  });
  afterAll(async () => {
    await fx?.close();
    await api?.close();
  });

  const base = () => fx.server.url;
  async function call(path: string, init: RequestInit = {}, bearer = token): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(base() + path, { ...init, headers: { authorization: `Bearer ${bearer}`, ...(init.headers as Record<string, string>) } });
    const body = await res.text();
    bodies.push(body, JSON.stringify([...res.headers]));
    return { status: res.status, body, headers: res.headers };
  }
  const raw = (lines: string[], body = '') => rawRequest(fx.server.port, `${lines.join('\r\n')}\r\n\r\n${body}`).then((r) => (bodies.push(r.head, r.body), r));
  const host = () => `Host: 127.0.0.1:${fx.server.port}`;

  test('a good call: the service sees the real credential, never the broker token; the skill gets the answer', async () => {
    const before = api.seen.length;
    const r = await call(`/v1/proxy/${resId}/user`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { login: 'octo' });
    const seen = api.seen[before]!;
    assert.equal(seen.headers.authorization, `Bearer ${SECRET}`);
    assert.ok(!JSON.stringify(seen.headers).includes(token), 'the broker token never reaches the service');
    assert.equal(seen.url, '/user');
  });

  test('the connection can be named by its service, and the token may come in X-Sophon-Broker-Token', async () => {
    const r = await fetch(`${base()}/v1/proxy/res/user?x=1`, { headers: { 'x-sophon-broker-token': token } });
    assert.equal(r.status, 200);
    assert.equal(api.seen.at(-1)!.url, '/user?x=1');
  });

  test('the function-call form runs the same path: {connection, method, path, headers, body} → {status, headers, body}', async () => {
    const r = await call('/v1/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection: resId, method: 'POST', path: '/echo', headers: { 'x-note': 'hi' }, body: 'payload' }) });
    assert.equal(r.status, 200, r.body);
    const out = JSON.parse(r.body) as { status: number; headers: Record<string, string>; body: string; bodyEncoding: string };
    assert.equal(out.status, 200);
    assert.equal(out.bodyEncoding, 'utf8');
    const echoed = JSON.parse(out.body) as { method: string; body: string; headers: Record<string, string> };
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.body, 'payload');
    assert.equal(echoed.headers['x-note'], 'hi');
    assert.deepEqual(leaks(r.body), []);
    const bad = await call('/v1/execute', { method: 'POST', body: JSON.stringify({ connection: resId, path: 'http://evil.example/x' }) });
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad.body), 'absolute_url');
  });

  test('a hostile service echoing the credential in body and headers: it comes back redacted, credential headers removed', async () => {
    const r = await call(`/v1/proxy/${resId}/echo`);
    assert.equal(r.status, 200);
    assert.deepEqual(leaks(r.body), [], 'no form of the secret in the body');
    assert.deepEqual(leaks(JSON.stringify([...r.headers])), [], 'nor in any header');
    for (const h of ['set-cookie', 'www-authenticate', 'authorization']) assert.equal(r.headers.get(h), null, `${h} removed`);
    assert.equal(r.headers.get('x-echo-token'), '[REDACTED]');
    assert.match(r.body, /\[REDACTED\]/);
    const gz = await call(`/v1/proxy/${resId}/echo-gzip`);
    assert.equal(gz.status, 200);
    assert.equal(gz.headers.get('content-encoding'), null, 'decompressed so it could be redacted');
    assert.equal(gz.body, 'the token is [REDACTED]');
    assert.ok(gunzipSync !== undefined);
  });

  test('no token, a made-up token, a revoked token, an expired token (replay after expiry): 401', async () => {
    const none = await fetch(`${base()}/v1/proxy/${resId}/user`);
    assert.equal(none.status, 401);
    assert.equal(errorCode(await none.text()), 'token_missing');
    const fake = await call(`/v1/proxy/${resId}/user`, {}, 'sbt_' + 'A'.repeat(43));
    assert.equal(fake.status, 401);
    assert.equal(errorCode(fake.body), 'token_invalid');
    const revoked = await fx.mint('skill-a', 'whoami', [resId]);
    assert.equal((await call(`/v1/proxy/${resId}/user`, {}, revoked)).status, 200);
    fx.tokens.revokeToken(revoked);
    const r = await call(`/v1/proxy/${resId}/user`, {}, revoked);
    assert.equal(r.status, 401);
    assert.equal(errorCode(r.body), 'token_revoked');
    const short = await fx.mint('skill-a', 'whoami', [resId], { ttlSeconds: 1 });
    assert.equal((await call(`/v1/proxy/${resId}/user`, {}, short)).status, 200, 'works while it lives');
    await new Promise((res) => setTimeout(res, 1100));
    const replay = await call(`/v1/proxy/${resId}/user`, {}, short);
    assert.equal(replay.status, 401);
    assert.equal(errorCode(replay.body), 'token_expired');
  });

  test('a token used for a connection it was not minted for: 403', async () => {
    const before = api.seen.length;
    const r = await call(`/v1/proxy/${otherId}/user`);
    assert.equal(r.status, 403);
    assert.equal(errorCode(r.body), 'connection_not_bound');
    const byService = await call('/v1/proxy/other/user');
    assert.equal(byService.status, 403);
    assert.equal(api.seen.length, before, 'nothing was sent');
  });

  test('a token minted for skill A used by skill B: 403 (claimed skill, and a broker serving only skill B)', async () => {
    const r = await call(`/v1/proxy/${resId}/user`, { headers: { 'x-sophon-skill': 'skill-b' } });
    assert.equal(r.status, 403);
    assert.equal(errorCode(r.body), 'skill_mismatch');
    const { startBrokerServer } = await import('../../../electron/server/broker/server');
    const { broker } = await fx.core.createBroker({ userId: 'default', onlySkill: 'skill-b' });
    const onlyB = await startBrokerServer(broker, { maxRequestBytes: 1024 });
    try {
      const res = await fetch(`${onlyB.url}/v1/proxy/${resId}/user`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 403);
      assert.equal(errorCode(await res.text()), 'skill_mismatch');
    } finally {
      await onlyB.close();
    }
  });

  test('absolute-form request targets are refused, whatever host they name (names, decimal, octal, IPv6, userinfo)', async () => {
    for (const target of [
      `http://127.0.0.1:${fx.server.port}/v1/proxy/${resId}/user`,
      `http://2130706433/v1/proxy/${resId}/user`,
      `http://0x7f.1/v1/proxy/${resId}/user`,
      `http://[::ffff:127.0.0.1]:${api.port}/user`,
      `http://user@evil.example/v1/proxy/${resId}/user`,
      `//evil.example/v1/proxy/${resId}/user`,
    ]) {
      const r = await raw([`GET ${target} HTTP/1.1`, host(), `Authorization: Bearer ${token}`, 'Connection: close']);
      assert.ok([400, 404].includes(r.status), `${target}: ${r.status} ${r.body}`);
      assert.notEqual(r.status, 200);
      if (r.status === 400) assert.ok(['absolute_url', 'bad_request'].includes(errorCode(r.body) ?? ''), r.body);
    }
  });

  test('Host header tricks: only the broker\'s own loopback address is accepted; a web page (Origin) is refused', async () => {
    for (const h of ['Host: evil.example', 'Host: api.github.com', `Host: 127.0.0.1:${api.port}`, 'Host: 127.0.0.1.evil.example', `Host: user@127.0.0.1:${fx.server.port}`]) {
      const r = await raw([`GET /v1/proxy/${resId}/user HTTP/1.1`, h, `Authorization: Bearer ${token}`, 'Connection: close']);
      assert.equal(r.status, 400, h);
      assert.equal(errorCode(r.body), 'host_header', h);
    }
    const o = await raw([`GET /v1/proxy/${resId}/user HTTP/1.1`, host(), 'Origin: http://evil.example', `Authorization: Bearer ${token}`, 'Connection: close']);
    assert.equal(o.status, 403);
    assert.equal(errorCode(o.body), 'origin_refused');
  });

  test('@ in a path never changes the host: the request still goes to the service', async () => {
    const before = api.seen.length;
    const r = await call(`/v1/proxy/${resId}/@evil.example/user`);
    assert.equal(r.status, 404, 'the resource server answered (no such route)');
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.url, '/@evil.example/user');
    assert.equal(api.seen.at(-1)!.headers.host, api.host);
  });

  test('.. and encoded traversal (%2e%2e, %2f, %5c, double-encoded, backslash) are refused before anything is sent', async () => {
    const before = api.seen.length;
    for (const p of ['/../../etc/passwd', '/a/../user', '/%2e%2e/user', '/%2E%2e/user', '/.%2e/user', '/a%2fb', '/a%2F..%2Fb', '/a%5cb', '/%252e%252e/user', '/a\\b', '/./user']) {
      const r = await raw([`GET /v1/proxy/${resId}${p} HTTP/1.1`, host(), `Authorization: Bearer ${token}`, 'Connection: close']);
      assert.equal(r.status, 400, `${p}: ${r.body}`);
      assert.ok(['path_traversal', 'bad_path'].includes(errorCode(r.body) ?? ''), `${p}: ${r.body}`);
    }
    assert.equal(api.seen.length, before);
  });

  test('CR/LF in header values: refused by the HTTP parser, and in the function-call form', async () => {
    const r = await raw([`GET /v1/proxy/${resId}/user HTTP/1.1`, host(), `Authorization: Bearer ${token}`, 'X-A: b\rInjected: c', 'Connection: close']);
    assert.equal(r.status, 400);
    const e = await call('/v1/execute', { method: 'POST', body: JSON.stringify({ connection: resId, path: '/user', headers: { 'x-a': 'b\r\nHost: evil.example' } }) });
    assert.equal(e.status, 400);
    assert.equal(errorCode(e.body), 'bad_header');
  });

  test('hop-by-hop and credential headers from the skill are stripped; the catalog\'s credential wins', async () => {
    const before = api.seen.length;
    const r = await raw([
      `GET /v1/proxy/${resId}/user HTTP/1.1`,
      host(),
      `Authorization: Bearer ${token}`,
      'Connection: close, X-Hop',
      'X-Hop: 1',
      'Proxy-Authorization: Basic Zm9vOmJhcg==',
      'Cookie: a=b',
      'X-Forwarded-For: 10.0.0.1',
      'X-Forwarded-Host: evil.example',
      'Forwarded: for=1.2.3.4;host=evil.example',
      'X-Sophon-Broker-Token: sbt_whatever',
      'Keep-Alive: timeout=100',
      'TE: trailers',
      'Upgrade: websocket',
      'Accept-Encoding: gzip',
      'X-Kept: yes',
    ]);
    assert.equal(r.status, 200, r.body);
    const seen = api.seen[before]!.headers;
    for (const h of ['x-hop', 'proxy-authorization', 'cookie', 'x-forwarded-for', 'x-forwarded-host', 'forwarded', 'x-sophon-broker-token', 'keep-alive', 'te', 'upgrade']) assert.equal(seen[h], undefined, h);
    assert.equal(seen.authorization, `Bearer ${SECRET}`);
    assert.equal(seen['accept-encoding'], 'identity');
    assert.equal(seen['x-kept'], 'yes');
    assert.equal(seen.host, api.host);
  });

  test('redirects are never followed; one that leaves the service is refused (502), one within it is passed back', async () => {
    const before = api.seen.length;
    const away = await call(`/v1/proxy/${resId}/redirect?to=${encodeURIComponent('http://evil.example/steal')}`, { redirect: 'manual' });
    assert.equal(away.status, 502);
    assert.equal(errorCode(away.body), 'redirect_refused');
    const loop = await call(`/v1/proxy/${resId}/redirect?to=${encodeURIComponent(`http://127.0.0.2:${api.port}/user`)}`, { redirect: 'manual' });
    assert.equal(loop.status, 502, 'another address is another host');
    const same = await call(`/v1/proxy/${resId}/redirect?to=/user`, { redirect: 'manual' });
    assert.equal(same.status, 302);
    assert.equal(same.headers.get('location'), '/user');
    assert.equal(api.seen.length, before + 3, 'each redirect was answered, none followed');
  });

  test('non-local services: a name that resolves to loopback or a private address is refused (DNS rebinding)', async () => {
    const before = api.seen.length;
    for (const id of [publicId, rebindId]) {
      const t = await fx.mint('skill-a', 'whoami', [id]);
      const r = await call(`/v1/proxy/${id}/user`, {}, t);
      assert.equal(r.status, 403, r.body);
      assert.equal(errorCode(r.body), 'address_refused');
    }
    assert.equal(api.seen.length, before, 'nothing was sent');
  });

  test('non-local services at IP literals in decimal, octal, IPv4-mapped IPv6 or IPv6 loopback form: refused', async () => {
    const before = api.seen.length;
    for (const id of literalIds) {
      const t = await fx.mint('skill-a', 'whoami', [id]);
      const r = await call(`/v1/proxy/${id}/user`, {}, t);
      assert.equal(r.status, 403, `${id}: ${r.body}`);
      assert.equal(errorCode(r.body), 'address_refused', id);
    }
    assert.equal(api.seen.length, before);
  });

  test('oversize request bodies (declared or chunked) answer 413; an oversize answer 502', async () => {
    const big = 'x'.repeat(2000);
    const declared = await call(`/v1/proxy/${resId}/echo`, { method: 'POST', body: big });
    assert.equal(declared.status, 413);
    assert.equal(errorCode(declared.body), 'body_too_large');
    const chunked = await raw([`POST /v1/proxy/${resId}/echo HTTP/1.1`, host(), `Authorization: Bearer ${token}`, 'Transfer-Encoding: chunked', 'Connection: close'], `7d0\r\n${big}\r\n0\r\n\r\n`);
    assert.equal(chunked.status, 413);
    const answer = await call(`/v1/proxy/${resId}/big?bytes=100000`);
    assert.equal(answer.status, 502);
    assert.equal(errorCode(answer.body), 'response_too_large');
    const fine = await call(`/v1/proxy/${resId}/big?bytes=1000`);
    assert.equal(fine.status, 200);
    assert.equal(fine.body.length, 1000);
  });

  test('a slow-loris client is cut off (408) once its headers take too long', async () => {
    const { connect } = await import('node:net');
    const started = Date.now();
    const socket = connect(fx.server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.write(`GET /v1/health HTTP/1.1\r\n${host()}\r\n`);
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 300);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(drip);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 4000, `closed after ${elapsed} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  test('an imported Claude subscription login is never attached through the proxy (refused, audited)', async () => {
    const now = Date.now();
    for (const [id, serviceId, fields] of [
      ['claude-subscription-0000000001', 'claude-subscription', { importSource: 'claude' }],
      ['res-claude00001', 'res', { importSource: 'claude', importPolicy: 'claude-code-only' }],
    ] as const) {
      fx.core.store.insertPending({ id, userId: 'default', serviceId, label: `Imported ${id}`, authMethod: 'bearer', scopes: [], fields, secretHint: null, expiresAt: null }, now);
      await fx.core.vault.put('default', id, { accessToken: 'sk-ant-oat01-subscription-token' });
      fx.core.store.setState(id, 'active', null, now);
      const { token: t } = fx.tokens.mint({ userId: 'default', skill: 'skill-a', tool: 'whoami', connectionIds: [id], scopes: {}, allowedHosts: { [id]: [api.host] }, ttlSeconds: 60 });
      const before = api.seen.length;
      const r = await call(`/v1/proxy/${id}/user`, {}, t);
      assert.equal(r.status, 403, r.body);
      assert.equal(errorCode(r.body), 'connection_policy');
      assert.match(r.body, /Claude/);
      assert.equal(api.seen.length, before);
      fx.broker.close();
      const rows = fx.core.audit.query({ connectionId: id });
      assert.ok(rows.some((row) => row.action === 'broker_use' && row.outcome === 'denied' && /connection_policy/.test(row.detail ?? '')), JSON.stringify(rows));
    }
  });

  test('every refusal above is in the audit trail, and no response or audit row ever held the secret', () => {
    fx.broker.close();
    const rows = fx.core.audit.query({ limit: 10_000 });
    const denied = rows.filter((r) => r.action === 'broker_use' && r.outcome === 'denied').map((r) => (r.detail ?? '').split(':')[0]);
    for (const code of ['token_missing', 'token_invalid', 'token_revoked', 'token_expired', 'connection_not_bound', 'skill_mismatch', 'absolute_url', 'host_header', 'origin_refused', 'path_traversal', 'bad_header', 'bad_request', 'address_refused', 'body_too_large', 'request_timeout', 'connection_policy']) {
      assert.ok(denied.includes(code), `${code} audited (have: ${[...new Set(denied)].join(', ')})`);
    }
    assert.ok(rows.some((r) => r.outcome === 'denied' && /^redirect_refused/.test(r.detail ?? '')));
    assert.ok(rows.some((r) => r.outcome === 'ok' && r.skill === 'skill-a' && r.tool === 'whoami' && r.connectionId === resId));
    assert.deepEqual(leaks(JSON.stringify(rows)), []);
    assert.deepEqual(leaks(bodies.join('\n')), []);
    for (const s of [OTHER_SECRET, PUBLIC_SECRET, token]) assert.ok(!JSON.stringify(rows).includes(s));
  });
});
