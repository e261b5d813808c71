// The broker against an HTTPS service: it connects to the address it checked, presents the service's
// name (TLS server name and Host), verifies the certificate against that name, and never sends the
// credential to a server whose certificate does not prove it is the service — even at the same address.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { bearerApi, brokerFixture, errorCode, type BrokerFixture } from './fixture';

const SECRET = 'sk-tls-real-secret-0123456789abcdef';

/** A self-signed certificate for `name` (openssl), used as the only trusted CA. */
async function certificateFor(name: string): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('broker proxy to an HTTPS service', () => {
  let fx: BrokerFixture;
  let server: Server;
  const seen: { servername: string | false | null; host: string | undefined; authorization: string | undefined }[] = [];
  let goodId = '';
  let wrongId = '';

  beforeAll(async () => {
    const { key, cert } = await certificateFor('api.tls.test');
    server = createServer({ key, cert }, (req, res) => {
      seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ login: 'tls', echo: req.headers.authorization ?? null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    fx = await brokerFixture(
      [
        // Both names resolve to the same server; its certificate proves only the first.
        bearerApi('tls-api', `https://api.tls.test:${port}`),
        bearerApi('tls-wrong-name', `https://other.tls.test:${port}`),
      ],
      {
        ca: [cert],
        resolver: async (name) => {
          if (name === 'api.tls.test' || name === 'other.tls.test') return [{ address: '127.0.0.1', family: 4 }];
          throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        },
      },
    );
    goodId = (await fx.core.connections.add('default', { serviceId: 'tls-api', secret: SECRET, test: false })).connection.id;
    wrongId = (await fx.core.connections.add('default', { serviceId: 'tls-wrong-name', secret: SECRET, test: false })).connection.id;
  });

  afterAll(async () => {
    await fx?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  test('connects to the checked address with the service name as TLS server name and Host; the answer is redacted', async () => {
    const token = await fx.mint('tls', 'get', [goodId]);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${fx.server.url}/v1/proxy/${goodId}/user`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      assert.deepEqual(JSON.parse(body), { login: 'tls', echo: '[REDACTED]' });
    }
    assert.equal(seen.length, 3);
    for (const s of seen) {
      assert.equal(s.servername, 'api.tls.test');
      assert.equal(s.host, `api.tls.test:${(server.address() as AddressInfo).port}`);
      assert.equal(s.authorization, `Bearer ${SECRET}`);
    }
  });

  test('a certificate that does not name the service: 502, audited, and the credential is never sent', async () => {
    const before = seen.length;
    const token = await fx.mint('tls-wrong', 'get', [wrongId]);
    const res = await fetch(`${fx.server.url}/v1/proxy/${wrongId}/user`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.text();
    assert.equal(res.status, 502, body);
    assert.equal(errorCode(body), 'upstream_unreachable');
    assert.ok(!body.includes(SECRET));
    assert.equal(seen.length, before, 'no request reached the server');
    fx.broker.close();
    const rows = fx.core.audit.query({ skill: 'tls-wrong' }).filter((r) => r.action === 'broker_use');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.outcome, 'failed');
    assert.match(rows[0]!.detail ?? '', /upstream_unreachable/);
  });
});
