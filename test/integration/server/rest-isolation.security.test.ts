// Isolation over REST against the real `sophon dashboard` process: the machine's CLI logins and
// environment are the owner's alone (another user's token, admin or not, cannot scan or import them),
// and revoking a token — from another process, while the server runs — ends its open event streams
// and requests at once, leaving every other token's alone.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Out } from '../../../shared/contract';
import { json, sophon } from '../../helpers/cli';
import { cliStores, fakeToken, ghHostsOld, writeStore, type CliStores } from '../../helpers/cli-stores';
import { userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { call, startDashboardProcess, type Dashboard, type RawResponse } from './dashboard-process';

const OPENAI_CANARY = 'sk-isolationcanary0123456789abcdefABCDEF01234';

async function createToken(home: string, user: string, admin = false): Promise<{ token: string; id: string }> {
  const r = await sophon(['api-token', 'create', '--user', user, '--json', ...(admin ? ['--admin'] : [])], { home });
  assert.equal(r.code, 0, r.stderr);
  return json<{ token: string; id: string }>(r);
}

/** GET /api/events, noting when the server ends the stream (the helper in dashboard-process cannot tell). */
function stream(d: Pick<Dashboard, 'port'>, token: string) {
  let text = '';
  let status = 0;
  let ended = false;
  const req = request({ host: '127.0.0.1', port: d.port, method: 'GET', path: '/api/events', headers: { Host: `127.0.0.1:${d.port}`, Authorization: `Bearer ${token}` } }, (res) => {
    status = res.statusCode ?? 0;
    res.on('data', (c: Buffer) => (text += c.toString()));
    res.on('end', () => (ended = true));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  req.end();
  const until = async (what: string, ok: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms (status ${status}):\n${text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    text: () => text,
    ended: () => ended,
    waitFor: (needle: string, ms = 10_000) => until(`no "${needle}" in the event stream`, () => text.includes(needle), ms),
    waitForEnd: (ms: number) => until('the stream was not ended', () => ended, ms),
    close: () => req.destroy(),
  };
}

describe("REST: this machine's CLI logins and environment are the owner's alone", () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let stores: CliStores;
  let d: Dashboard;
  const ghToken = fakeToken('gho_');

  beforeAll(async () => {
    home = await tempHome();
    stores = await cliStores();
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'owner-octo', token: ghToken } }));
    d = await startDashboardProcess(home.home, [], { ...stores.env, OPENAI_API_KEY: OPENAI_CANARY });
  });

  afterAll(async () => {
    await d?.stop();
    await stores?.cleanup();
    await home?.cleanup();
  });

  test("another user's token, plain or admin, gets 403 for imports.scan and imports.run and so cannot mint for them; the owner can", async () => {
    const bob = await createToken(home.home, 'bob');
    const eve = await createToken(home.home, 'eve', true);
    const bodies: string[] = [];
    const send = async (token: string, op: string, input: unknown): Promise<RawResponse> => {
      const r = await call(d, token, op, input);
      bodies.push(r.body);
      return r;
    };

    // The owner's scan tells the keys another user would guess.
    const scan = await send(d.token, 'imports.scan', {});
    assert.equal(scan.status, 200, scan.body);
    const logins = (scan.json().value as Out<'imports.scan'>).logins;
    const openai = logins.find((l) => l.serviceId === 'openai');
    const github = logins.find((l) => l.serviceId === 'github-pat');
    assert.ok(openai && github, JSON.stringify(logins));

    for (const token of [bob.token, eve.token]) {
      const who = token === bob.token ? 'bob' : 'eve (admin)';
      const s = await send(token, 'imports.scan', {});
      assert.equal(s.status, 403, `${who}: ${s.body}`);
      assert.equal(s.json().error?.code, 'forbidden');
      assert.match(s.json().error!.message, /Only the user this Sophon runs as may scan/);
      const run = await send(token, 'imports.run', { keys: [openai.key, github.key], copy: true });
      assert.equal(run.status, 403, `${who}: ${run.body}`);
      assert.equal(run.json().error?.code, 'forbidden');
      const linked = await send(token, 'imports.run', { keys: [github.key] });
      assert.equal(linked.status, 403, `${who}: ${linked.body}`);
      // Nothing was imported for them, so there is nothing to mint a broker token for.
      assert.deepEqual((await send(token, 'connections.list', {})).json().value, { connections: [] });
      for (const service of ['openai', 'github-pat']) {
        const mint = await send(token, 'broker.mint', { skill: 'thief', tool: 'use', service });
        assert.notEqual(mint.status, 200, `${who} minted for ${service}: ${mint.body}`);
        assert.match(mint.json().error!.message, /you have none/, mint.body);
      }
    }

    // A plain (non-admin) token of the owner's own user is the owner's: it may.
    const ownerPlain = await createToken(home.home, 'default');
    assert.equal((await send(ownerPlain.token, 'imports.scan', {})).status, 200);

    const imported = await send(d.token, 'imports.run', { keys: [openai.key, github.key], copy: true });
    assert.equal(imported.status, 200, imported.body);
    const result = imported.json().value as Out<'imports.run'>;
    assert.deepEqual(result.imported.map((i) => i.key).sort(), [openai.key, github.key].sort(), imported.body);
    const mint = await send(d.token, 'broker.mint', { skill: 'owner-skill', tool: 'use', service: 'openai' });
    assert.equal(mint.status, 200, mint.body);
    // Bob still sees none of it, and cannot mint for the owner's imported connections by id either.
    assert.deepEqual((await send(bob.token, 'connections.list', {})).json().value, { connections: [] });
    for (const { connectionId } of result.imported) {
      const stolen = await send(bob.token, 'broker.mint', { skill: 'thief', tool: 'use', connection: connectionId });
      assert.equal(stolen.status, 404, stolen.body);
    }

    const everything = bodies.join('\n');
    for (const secret of [OPENAI_CANARY, OPENAI_CANARY.slice(0, 20), ghToken]) assert.ok(!everything.includes(secret), `found ${secret.slice(0, 6)}… in a response`);
  });
});

describe('REST: revoking a token ends its open streams and requests at once', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let d: Dashboard;

  beforeAll(async () => {
    home = await tempHome({ Sophon: { Broker: { ChooseWaitSeconds: 120 } } });
    await mkdir(join(home.home, 'connectors'), { recursive: true });
    await writeFile(join(home.home, 'connectors', 'mailapi.json'), userApiConnector('mailapi', 9));
    d = await startDashboardProcess(home.home);
  });

  afterAll(async () => {
    await d?.stop();
    await home?.cleanup();
  });

  test('revoked by `sophon api-token revoke` in another process: its event stream and its waiting broker.mint end within a second or two; other tokens keep theirs', async () => {
    const revoked = await createToken(home.home, 'carol');
    const sibling = await createToken(home.home, 'carol');
    for (const label of ['Work', 'Home']) {
      const r = await call(d, revoked.token, 'connections.add', { serviceId: 'mailapi', label, secret: `carol-${label}-0123456789abcdef`, test: false });
      assert.equal(r.status, 200, r.body);
    }
    const doomed = stream(d, revoked.token);
    const kept = stream(d, sibling.token);
    const owners = stream(d, d.token);
    await Promise.all([doomed, kept, owners].map((s) => s.waitFor(': connected')));

    // Two connections of the service: the call waits (up to two minutes) for carol to pick one.
    let settled = false;
    const minting = call(d, revoked.token, 'broker.mint', { skill: 'mail-digest', tool: 'summarize', service: 'mailapi' }).finally(() => (settled = true));
    await doomed.waitFor('"phase":"open"');
    await kept.waitFor('"phase":"open"');
    assert.equal(settled, false, 'the mint is waiting for an answer');

    const revokedAt = Date.now();
    const r = await sophon(['api-token', 'revoke', revoked.id], { home: home.home });
    assert.equal(r.code, 0, r.stderr);
    await doomed.waitForEnd(3000);
    const refused = await Promise.race([minting, new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000))]);
    assert.ok(refused, 'the in-flight broker.mint of the revoked token was not ended within 3 s of the revocation');
    assert.equal(refused.status, 401, refused.body);
    assert.equal(refused.json().error?.code, 'unauthorized');
    assert.match(refused.json().error!.message, /revoked/);
    assert.ok(Date.now() - revokedAt < 6000);
    // The question it was waiting on is withdrawn from carol's other windows, and no broker token was minted for nobody.
    await kept.waitFor('"phase":"closed"');
    assert.deepEqual((await call(d, sibling.token, 'broker.questions', {})).json().value, { questions: [] });
    const audit = (await call(d, sibling.token, 'audit.query', { skill: 'mail-digest', action: 'broker_mint', limit: 10 })).json().value as Out<'audit.query'>;
    assert.deepEqual(audit.rows.map((row) => row.outcome), ['denied'], JSON.stringify(audit.rows));
    assert.match(audit.rows[0]!.detail ?? '', /revoked/);

    // The other streams stay open and still hear their events.
    assert.equal(kept.ended(), false);
    assert.equal(owners.ended(), false);
    const added = await call(d, sibling.token, 'connections.add', { serviceId: 'mailapi', label: 'Third', secret: 'carol-third-0123456789abcdef', test: false });
    assert.equal(added.status, 200, added.body);
    const third = (added.json().value as Out<'connections.add'>).connection.id;
    await kept.waitFor(third);
    const ownerAdded = await call(d, d.token, 'connections.add', { serviceId: 'mailapi', label: 'Owner', secret: 'owner-mail-0123456789abcdef', test: false });
    await owners.waitFor((ownerAdded.json().value as Out<'connections.add'>).connection.id);
    assert.ok(!doomed.text().includes(third), 'the revoked stream heard nothing after its revocation');

    // The revoked token opens nothing new.
    const again = stream(d, revoked.token);
    await again.waitForEnd(3000);
    assert.equal((await call(d, revoked.token, 'session.info')).status, 401);
    for (const s of [kept, owners, again]) s.close();
  });
});
