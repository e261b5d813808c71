import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ServiceSchema, type ServiceDefinition, type ServiceDefinitionInput } from '../../../electron/core/catalog/schema';
import { runHttpTest } from '../../../electron/core/connections/http-test';
import type { TestOutcome } from '../../../electron/core/connections/test-outcome';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface Recorder {
  port: number;
  seen: { url: string; headers: IncomingMessage['headers'] }[];
  handle: Handler;
  close: () => Promise<void>;
}

async function recorder(): Promise<Recorder> {
  const r = { seen: [], handle: ((_q, res) => res.end('{}')) as Handler } as unknown as Recorder;
  const server = createServer((req, res) => {
    r.seen.push({ url: req.url ?? '', headers: req.headers });
    r.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  r.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return r;
}

const SECRET = 'canary-http-0123456789abcdef';

function service(port: number, over: Partial<ServiceDefinitionInput>): ServiceDefinition {
  return ServiceSchema.parse({
    id: 'svc', name: 'Svc', group: 'Generic', auth: { method: 'bearer' },
    apiBaseUrl: `http://127.0.0.1:${port}/v1`, allowedHosts: [`127.0.0.1:${port}`],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: { kind: 'http', method: 'GET', path: '/me' }, local: true, ...over,
  });
}

describe('the HTTP test call', async () => {
  let api: Recorder;
  let other: Recorder;
  const outcomes: TestOutcome[] = [];
  const run = async (s: ServiceDefinition, fields: Record<string, string> = {}, timeoutMs?: number) => {
    const o = await runHttpTest(s, { secret: SECRET, fields }, { timeoutMs });
    outcomes.push(o);
    return o;
  };
  beforeAll(async () => {
    api = await recorder();
    other = await recorder();
  });
  afterAll(async () => {
    await api.close();
    await other.close();
    for (const o of outcomes) assert.ok(!JSON.stringify(o).includes(SECRET), 'the secret never appears in an outcome');
  });

  test('each attach shape arrives exactly as the catalog says', async () => {
    api.handle = (_q, res) => res.end(JSON.stringify({ login: 'octo' }));
    const bearer = await run(service(api.port, {}));
    assert.equal(bearer.status, 'ok');
    assert.equal(bearer.account, 'octo');
    assert.equal(api.seen.at(-1)?.url, '/v1/me');
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${SECRET}`);

    await run(service(api.port, { attach: [{ in: 'header', name: 'x-api-key', value: '{secret}' }], test: { kind: 'http', path: '/models', headers: { 'anthropic-version': '2023-06-01' } } }));
    assert.equal(api.seen.at(-1)?.headers['x-api-key'], SECRET);
    assert.equal(api.seen.at(-1)?.headers['anthropic-version'], '2023-06-01');
    assert.equal(api.seen.at(-1)?.headers.authorization, undefined);

    await run(service(api.port, { attach: [{ in: 'header', name: 'Authorization', value: 'Bot {secret}' }] }));
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bot ${SECRET}`);

    const trello = service(api.port, {
      auth: { method: 'api_key', fields: [{ name: 'apiKey', label: 'API key' }] },
      attach: [{ in: 'query', name: 'key', value: '{field.apiKey}' }, { in: 'query', name: 'token', value: '{secret}' }],
    });
    await run(trello, { apiKey: 'public-key' });
    assert.equal(api.seen.at(-1)?.url, `/v1/me?key=public-key&token=${SECRET}`);

    const twilio = service(api.port, {
      auth: { method: 'basic', fields: [{ name: 'accountSid', label: 'Account SID' }] },
      attach: [{ in: 'basic', username: '{field.accountSid}', password: '{secret}' }],
    });
    await run(twilio, { accountSid: 'AC123' });
    assert.equal(api.seen.at(-1)?.headers.authorization, `Basic ${Buffer.from(`AC123:${SECRET}`).toString('base64')}`);
  });

  test('a redirect is never followed with the credential', async () => {
    const before = other.seen.length;
    api.handle = (_q, res) => res.writeHead(302, { location: `http://127.0.0.1:${other.port}/steal` }).end();
    const o = await run(service(api.port, {}));
    assert.equal(o.status, 'unexpected');
    assert.match(o.message, new RegExp(`redirected the test call to 127\\.0\\.0\\.1:${other.port}`));
    assert.equal(other.seen.length, before, 'the other host saw no request');
  });

  test('a test path pointing at an undeclared host is refused before any request', async () => {
    const before = other.seen.length;
    await assert.rejects(run(service(api.port, { test: { kind: 'http', path: `http://127.0.0.1:${other.port}/me` } })), /not in allowedHosts/);
    assert.equal(other.seen.length, before);
  });

  test('answers are classified so a person can act', async () => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      api.handle = (_q, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    answer(401, { message: `bad token ${SECRET}` });
    assert.equal((await run(service(api.port, {}))).status, 'rejected');
    answer(403, {}, { 'www-authenticate': 'Bearer error="insufficient_scope"' });
    assert.equal((await run(service(api.port, {}))).status, 'missing_scope');
    answer(403, {});
    assert.equal((await run(service(api.port, {}))).status, 'rejected');
    const slack = service(api.port, { test: { kind: 'http', method: 'POST', path: '/auth.test', okField: 'ok' } });
    answer(200, { ok: false, error: 'invalid_auth' });
    assert.equal((await run(slack)).status, 'rejected');
    answer(200, { ok: false, error: 'missing_scope' });
    assert.equal((await run(slack)).status, 'missing_scope');
    answer(200, { ok: false, error: SECRET });
    const echoed = await run(slack);
    assert.equal(echoed.status, 'unexpected');
    answer(200, { ok: true, user: 'u1' });
    assert.equal((await run(slack)).account, 'u1');
    answer(503, { error: SECRET });
    const down = await run(service(api.port, {}));
    assert.equal(down.status, 'unexpected');
    assert.match(down.message, /HTTP 503 .*try again later/);
  });

  test('no answer is "unreachable": a closed port, and a server that hangs', async () => {
    const gone = await recorder();
    await gone.close();
    const closed = await run(service(gone.port, {}));
    assert.equal(closed.status, 'unreachable');
    assert.match(closed.message, /refused the connection/);
    api.handle = () => undefined;
    const hung = await run(service(api.port, {}), {}, 300);
    assert.equal(hung.status, 'unreachable');
    assert.match(hung.message, /did not answer in time/);
  });
});
