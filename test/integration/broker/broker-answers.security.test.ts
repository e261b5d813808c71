import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { deflateSync, gzipSync } from 'node:zlib';
import type { AuditRow } from '../../../shared/connections';
import { bearerApi, brokerFixture, errorCode, rawRequest, type BrokerFixture } from './fixture';

// Issue #12 §6: the broker answers every request, audits it once as what it was, and redacts what a hostile service chooses to send back.

const SECRET = 'ghp_HostileEcho0123456789abcdefXYZ';
const MAX_REQUEST = 64 * 1024;

/** A service that sends the credential it was given back in forms of its choosing. */
function hostileUpstream(): Promise<{ server: Server; url: string; seen: { url: string; headers: IncomingHttpHeaders }[] }> {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const clean = gzipSync(Buffer.from('{"nothing":"secret here"}'));
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const bytes = Buffer.from(token);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (body: Buffer | string, type = 'text/plain') => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (path === '/base64-blob') {
      // The secret inside a larger blob at each byte alignment (0, 1, 2 bytes of something before it).
      send(['', 'a', 'ab'].map((pre) => Buffer.concat([Buffer.from(`${pre}{"k":"`), bytes, Buffer.from('","more":true}')]).toString('base64')).join('\n'));
    } else if (path === '/base64url-blob') {
      send(['x', 'xy', 'xyz'].map((pre) => Buffer.concat([Buffer.from(pre), bytes, Buffer.from('!?>')]).toString('base64url')).join('\n'));
    } else if (path === '/hex') {
      send(`${bytes.toString('hex')}\n${bytes.toString('hex').toUpperCase()}`);
    } else if (path === '/percent') {
      const lower = bytes.toString('hex').replace(/../g, '%$&');
      send(`${encodeURIComponent(`${token}/+=`).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}\n${lower}\n${lower.toUpperCase()}`);
    } else if (path === '/gzip-hidden') {
      send(gzipSync(Buffer.from(`{"token":"${token}"}`)), 'application/octet-stream');
    } else if (path === '/gzip-truncated') {
      // Cut short (trailer and the end of an incompressible pad missing): a streaming client still reads the token.
      const gz = gzipSync(Buffer.from(`{"token":"${token}","pad":"${randomBytes(2000).toString('hex')}"}`));
      send(gz.subarray(0, gz.length - 40), 'application/octet-stream');
    } else if (path === '/zlib-hidden') {
      send(deflateSync(Buffer.from(`token=${token}`)), 'application/octet-stream');
    } else if (path === '/gzip-clean') {
      send(clean, 'application/gzip');
    } else {
      send('ok');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })),
  );
}

describe('broker: every request answered, audited once as what it was', async () => {
  let fx: BrokerFixture;
  let up: Awaited<ReturnType<typeof hostileUpstream>>;
  let id = '';
  let token = '';
  const host = () => `Host: 127.0.0.1:${fx.server.port}`;

  beforeAll(async () => {
    up = await hostileUpstream();
    fx = await brokerFixture([bearerApi('hostile', up.url), bearerApi('gone', up.url)], {
      settings: { MaxRequestBytes: MAX_REQUEST },
      server: { headersTimeoutMs: 1500, requestTimeoutMs: 1500, checkIntervalMs: 200 },
    });
    id = (await fx.core.connections.add('default', { serviceId: 'hostile', secret: SECRET, test: false })).connection.id;
    token = await fx.mint('skill-a', 'tool', [id]);
  });
  afterAll(async () => {
    await fx?.close();
    await new Promise((resolve) => up?.server.close(resolve));
  });

  /** The broker_use rows written while `run` ran (and any it causes within `settleMs` after). */
  async function newRows(run: () => Promise<unknown>, settleMs = 400): Promise<AuditRow[]> {
    // Rows of earlier calls still queued (the audit is written every 100 ms) must not count as new.
    await new Promise((r) => setTimeout(r, 250));
    const before = fx.core.audit.query({ limit: 100_000 }).length;
    await run();
    // A late second row (a close after a refusal) would land in this time too.
    await new Promise((r) => setTimeout(r, settleMs));
    const rows = fx.core.audit.query({ limit: 100_000 });
    return rows.slice(0, rows.length - before).filter((r) => r.action === 'broker_use');
  }

  /** Opens a socket, writes `text`, calls `then` with it; resolves with what came back once it closed. */
  function socketExchange(text: string, then: (s: ReturnType<typeof connect>) => void = () => undefined): Promise<string> {
    return new Promise((resolve) => {
      const s = connect(fx.server.port, '127.0.0.1');
      let data = '';
      s.on('data', (d: Buffer) => (data += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(data));
      s.write(text, () => then(s));
    });
  }

  test('CONNECT gets 405 with a JSON error (not a closed socket), audited once as denied', async () => {
    let answer = { status: 0, head: '', body: '' };
    const rows = await newRows(async () => {
      answer = await rawRequest(fx.server.port, `CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n\r\n`);
    });
    assert.equal(answer.status, 405, answer.head);
    assert.equal(errorCode(answer.body), 'method_not_allowed');
    assert.match(answer.head, /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS/i);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.outcome, 'denied');
    assert.match(rows[0]!.detail ?? '', /^method_not_allowed: CONNECT/);
  });

  test('an Upgrade request is an ordinary request: answered, and Upgrade is not forwarded', async () => {
    const sent = up.seen.length;
    const answer = await rawRequest(fx.server.port, `GET /v1/proxy/${id}/user HTTP/1.1\r\n${host()}\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
    assert.equal(answer.status, 200, answer.head);
    assert.equal(up.seen.length, sent + 1);
    assert.equal(up.seen.at(-1)!.headers.upgrade, undefined);
  });

  test('TRACE, PROPFIND, LINK and a method the parser does not know: 405 JSON, each audited once, nothing sent', async () => {
    const sent = up.seen.length;
    for (const method of ['TRACE', 'PROPFIND', 'LINK', 'BREW']) {
      let answer = { status: 0, head: '', body: '' };
      const rows = await newRows(async () => {
        answer = await rawRequest(fx.server.port, `${method} /v1/proxy/${id}/user HTTP/1.1\r\n${host()}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      }, 150);
      assert.equal(answer.status, 405, `${method}: ${answer.head}`);
      assert.equal(errorCode(answer.body), 'method_not_allowed', method);
      assert.match(answer.head, /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i, method);
      assert.deepEqual(rows.map((r) => [r.outcome, (r.detail ?? '').split(':')[0]]), [['denied', 'method_not_allowed']], method);
    }
    assert.equal(up.seen.length, sent);
  });

  test('a client that hangs up mid-body is audited once as aborted, never as an internal failure', async () => {
    for (const hangUp of ['end', 'reset'] as const) {
      const rows = await newRows(() =>
        socketExchange(`POST /v1/proxy/${id}/echo HTTP/1.1\r\n${host()}\r\nAuthorization: Bearer ${token}\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(100)}`, (s) =>
          setTimeout(() => (hangUp === 'end' ? s.end() : s.resetAndDestroy()), 50),
        ),
      );
      assert.deepEqual(rows.map((r) => [r.outcome, (r.detail ?? '').split(':')[0]]), [['aborted', 'aborted']], `${hangUp}: ${JSON.stringify(rows)}`);
    }
  });

  test('a malformed chunked body: 400 bad_request, one row', async () => {
    let answer = '';
    const rows = await newRows(async () => {
      answer = await socketExchange(`POST /v1/proxy/${id}/echo HTTP/1.1\r\n${host()}\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nbad\r\n0\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.deepEqual(rows.map((r) => [r.outcome, (r.detail ?? '').split(':')[0]]), [['denied', 'bad_request']], JSON.stringify(rows));
  });

  test('a slow client refused (408) then closing its connection: still one row', async () => {
    let answer = '';
    const rows = await newRows(async () => {
      answer = await socketExchange(`POST /v1/proxy/${id}/echo HTTP/1.1\r\n${host()}\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\nslow`, (s) => {
        s.once('data', () => setTimeout(() => s.end(), 100));
      });
    });
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.deepEqual(rows.map((r) => [r.outcome, (r.detail ?? '').split(':')[0]]), [['denied', 'request_timeout']], JSON.stringify(rows));
  });

  test('a 60 MB chunked upload from a streaming fetch reads its 413 (at least 99 of 100 tries)', async () => {
    const CHUNK = new Uint8Array(256 * 1024).fill(120);
    const TOTAL = 60 * 1024 * 1024;
    let seen413 = 0;
    const other: string[] = [];
    for (let i = 0; i < 100; i++) {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= TOTAL) return c.close();
          sent += CHUNK.length;
          c.enqueue(CHUNK);
        },
      });
      try {
        const res = await fetch(`${fx.server.url}/v1/proxy/${id}/echo`, { method: 'POST', body, duplex: 'half', headers: { authorization: `Bearer ${token}` } } as RequestInit);
        const text = await res.text();
        if (res.status === 413 && errorCode(text) === 'body_too_large') seen413++;
        else other.push(`${res.status} ${text.slice(0, 80)}`);
      } catch (err) {
        other.push(String((err as Error & { cause?: unknown }).cause ?? err));
      }
    }
    assert.ok(seen413 >= 99, `${seen413}/100 saw the 413; others: ${other.slice(0, 5).join(' | ')}`);
  });

  test('a client that sends its whole 60 MB body before reading (chunked or declared) still reads its 413', async () => {
    // The failure this guards against: closing at once over unread bytes makes the kernel reset the connection,
    // and a client that reads only after sending gets ECONNRESET instead of the answer.
    const chunk = Buffer.alloc(256 * 1024, 120);
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    for (const mode of ['chunked', 'declared'] as const) {
      const answers: string[] = [];
      for (let i = 0; i < 10; i++) {
        answers.push(
          await new Promise<string>((resolve) => {
            const s = connect(fx.server.port, '127.0.0.1');
            let data = '';
            s.pause();
            s.on('data', (d: Buffer) => (data += d.toString('latin1')));
            s.on('error', (e: Error & { code?: string }) => (data ||= `error ${e.code}`));
            s.on('close', () => resolve(data));
            const framing = mode === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${240 * chunk.length}`;
            s.write(`POST /v1/proxy/${id}/echo HTTP/1.1\r\n${host()}\r\nAuthorization: Bearer ${token}\r\n${framing}\r\n\r\n`);
            let n = 0;
            const pump = (): void => {
              while (n < 240 && !s.destroyed) {
                n++;
                if (!s.write(mode === 'chunked' ? framed : chunk)) return void s.once('drain', pump);
              }
              if (s.destroyed) return;
              s.end(mode === 'chunked' ? '0\r\n\r\n' : '');
              s.resume();
            };
            pump();
          }),
        );
      }
      const got = answers.filter((a) => /^HTTP\/1\.1 413/.test(a) && a.includes('"body_too_large"')).length;
      assert.equal(got, 10, `${mode}: ${answers.map((a) => a.slice(0, 30)).join(' | ')}`);
    }
  });

  test('request-target and method override headers never reach the service', async () => {
    const overrides = {
      'x-original-url': '/admin/delete-everything',
      'x-rewrite-url': '/admin/delete-everything',
      'x-original-uri': '/admin',
      'x-override-url': '/admin',
      'x-envoy-original-path': '/admin',
      'x-original-host': 'evil.example',
      'x-host': 'evil.example',
      'x-http-host-override': 'evil.example',
      'x-http-method-override': 'DELETE',
      'x-http-method': 'DELETE',
      'x-method-override': 'DELETE',
    };
    const r = await fetch(`${fx.server.url}/v1/proxy/${id}/user`, { headers: { authorization: `Bearer ${token}`, ...overrides, 'x-kept': 'yes' } });
    assert.equal(r.status, 200, await r.text());
    const seen = up.seen.at(-1)!;
    assert.equal(seen.url, '/user');
    assert.equal(seen.headers['x-kept'], 'yes');
    for (const name of Object.keys(overrides)) assert.equal(seen.headers[name], undefined, `${name} was forwarded`);
    const e = await fetch(`${fx.server.url}/v1/execute`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ connection: id, path: '/user', headers: { 'X-Original-URL': '/admin', 'X-Rewrite-URL': '/admin' } }),
    });
    assert.equal(e.status, 200);
    assert.equal(up.seen.at(-1)!.headers['x-original-url'], undefined);
    assert.equal(up.seen.at(-1)!.headers['x-rewrite-url'], undefined);
  });

  test('the token of a removed connection: 404 connection_not_found, by connection id and by service', async () => {
    const gone = (await fx.core.connections.add('default', { serviceId: 'gone', secret: 'gone-secret-0123456789', test: false })).connection.id;
    const t = await fx.mint('skill-a', 'tool', [gone]);
    assert.equal((await fetch(`${fx.server.url}/v1/proxy/${gone}/user`, { headers: { authorization: `Bearer ${t}` } })).status, 200);
    await fx.core.connections.remove('default', gone);
    for (const ref of [gone, 'gone']) {
      const r = await fetch(`${fx.server.url}/v1/proxy/${ref}/user`, { headers: { authorization: `Bearer ${t}` } });
      const body = await r.text();
      assert.equal(r.status, 404, `${ref}: ${body}`);
      assert.equal(errorCode(body), 'connection_not_found');
    }
    // A connection the token was never minted for is still 403.
    const other = await fetch(`${fx.server.url}/v1/proxy/hostile/user`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(other.status, 403);
    assert.equal(errorCode(await other.text()), 'connection_not_bound');
  });

  test('/v1/execute: a header value outside Latin-1 is 400 bad_header, not 502; Latin-1 itself is fine', async () => {
    const sent = up.seen.length;
    for (const value of ['snow ☃', 'euro €', 'emoji 😀']) {
      const r = await fetch(`${fx.server.url}/v1/execute`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ connection: id, path: '/user', headers: { 'x-note': value } }) });
      const body = await r.text();
      assert.equal(r.status, 400, `${value}: ${body}`);
      assert.equal(errorCode(body), 'bad_header');
      assert.match(body, /x-note/);
    }
    assert.equal(up.seen.length, sent, 'nothing was sent');
    const ok = await fetch(`${fx.server.url}/v1/execute`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ connection: id, path: '/user', headers: { 'x-note': 'café' } }) });
    assert.equal(ok.status, 200);
    assert.equal(Buffer.from(up.seen.at(-1)!.headers['x-note'] as string, 'latin1').toString('latin1'), 'café');
  });

  test('a hostile service echoing the secret as base64 inside a blob (every alignment), hex, or lowercase %xx: redacted', async () => {
    const bytes = Buffer.from(SECRET);
    for (const path of ['/base64-blob', '/base64url-blob', '/hex', '/percent']) {
      const r = await fetch(`${fx.server.url}/v1/proxy/${id}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await r.text();
      assert.equal(r.status, 200, body);
      assert.match(body, /\[REDACTED\]/, path);
      // Decode every line back the way the hostile service encoded it: the secret is nowhere.
      for (const line of body.split('\n')) {
        for (const decoded of [Buffer.from(line, 'base64'), Buffer.from(line, 'base64url'), Buffer.from(line.replace(/[^0-9a-f]/gi, ''), 'hex'), Buffer.from(safeDecode(line))]) {
          assert.ok(!decoded.includes(bytes.subarray(2, bytes.length - 2)), `${path}: ${line}`);
        }
      }
    }
  });

  test('a gzip or zlib body without Content-Encoding that holds the secret is refused (502 compressed_secret); a clean one passes untouched', async () => {
    for (const path of ['/gzip-hidden', '/gzip-truncated', '/zlib-hidden']) {
      let r = { status: 0, body: '' };
      const rows = await newRows(async () => {
        const res = await fetch(`${fx.server.url}/v1/proxy/${id}${path}`, { headers: { authorization: `Bearer ${token}` } });
        r = { status: res.status, body: await res.text() };
      }, 150);
      assert.equal(r.status, 502, `${path}: ${r.body}`);
      assert.equal(errorCode(r.body), 'compressed_secret', path);
      assert.deepEqual(rows.map((x) => [x.outcome, (x.detail ?? '').split(':')[0]]), [['failed', 'compressed_secret']], path);
    }
    const clean = await fetch(`${fx.server.url}/v1/proxy/${id}/gzip-clean`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(clean.status, 200);
    assert.deepEqual(Buffer.from(await clean.arrayBuffer()), gzipSync(Buffer.from('{"nothing":"secret here"}')));
  });
});

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
