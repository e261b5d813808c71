import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Envelope, EventPayload, Out } from '../../../shared/contract';
import { dispatch } from '../../../electron/core/api/dispatch';
import { EventHub } from '../../../electron/core/api/events';
import { createOperations, type Caller, type OperationImpls } from '../../../electron/core/api/operations';
import { BROKER_TOKEN_RE } from '../../../electron/core/broker/token-store';
import { createCore, type Core } from '../../../electron/core/sophon-core';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

type Choice = EventPayload<'connection.choose'>;
type Minted = Out<'broker.mint'>;

const alice: Caller = { userId: 'alice', isAdmin: false };
const bob: Caller = { userId: 'bob', isAdmin: false };
const SECRETS = ['alice-work-secret-0123456789', 'alice-home-secret-0123456789', 'alice-solo-secret-0123456789'];

describe('broker.mint over the core: which connection, asked of the person when there are several', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let core: Core;
  let hub: EventHub;
  let ops: OperationImpls;
  let work: string;
  let homeConn: string;
  let solo: string;
  // The questions' own timers are unref'd (a stopping server must not wait on them): keep this process alive.
  const alive = setInterval(() => undefined, 1_000);

  beforeAll(async () => {
    home = await tempHome();
    core = await createCore({
      home: home.home,
      catalog: catalogOf(
        bearerService('mailapi', 'http://127.0.0.1:9/'),
        bearerService('soloapi', 'http://127.0.0.1:9/'),
        bearerService('emptyapi', 'http://127.0.0.1:9/'),
        { ...bearerService('termsapi', 'http://127.0.0.1:9/'), proxyAllowed: false },
      ),
    });
    hub = new EventHub();
    ops = createOperations({ core, ownerUserId: 'alice', emit: (userId, event, payload) => hub.emit(userId, event, payload), chooseTimeoutMs: 60_000 });
    const add = async (userId: string, serviceId: string, label: string, secret: string) => (await core.connections.add(userId, { serviceId, label, secret, test: false })).connection.id;
    work = await add('alice', 'mailapi', 'Work', SECRETS[0]!);
    homeConn = await add('alice', 'mailapi', 'Home', SECRETS[1]!);
    solo = await add('alice', 'soloapi', 'Solo', SECRETS[2]!);
    await add('alice', 'termsapi', 'Terms', 'alice-terms-secret-0123456789');
    await add('bob', 'mailapi', 'Bob mail', 'bob-mail-secret-0123456789');
  });

  afterAll(async () => {
    clearInterval(alive);
    core?.close();
    await home?.cleanup();
  });

  const call = (caller: Caller, name: string, input: unknown): Promise<Envelope> => dispatch(ops, caller, name, input);
  const ok = <T>(e: Envelope): T => {
    assert.ok(e.ok, JSON.stringify(e));
    return e.value as T;
  };
  const refused = (e: Envelope, code: string, pattern: RegExp) => {
    assert.ok(!e.ok, JSON.stringify(e));
    assert.equal(e.error.code, code, e.error.message);
    assert.match(e.error.message, pattern);
  };
  const listen = (userId: string) => {
    const seen: Choice[] = [];
    const stop = hub.subscribe(userId, (event, payload) => {
      if (event === 'connection.choose') seen.push(payload as Choice);
    });
    return { seen, stop };
  };
  const question = async (seen: Choice[]): Promise<Choice> => {
    for (let i = 0; i < 200 && !seen.some((c) => c.phase === 'open'); i++) await new Promise((r) => setTimeout(r, 5));
    const c = seen.find((x) => x.phase === 'open');
    assert.ok(c, 'asked');
    return c;
  };
  const lastAudit = (skill: string) => core.audit.query({ userId: 'alice', skill, limit: 1 })[0];

  test('one connection of the service: used directly, bound to it, audited like the CLI mint', async () => {
    const m = ok<Minted>(await call(alice, 'broker.mint', { skill: 'solo-skill', tool: 'run', service: 'soloapi' }));
    assert.match(m.token, BROKER_TOKEN_RE);
    assert.deepEqual([m.connectionId, m.serviceId, m.chosenBy, m.brokerUrl], [solo, 'soloapi', 'only', null]);
    const check = core.brokerTokens().check(m.token);
    assert.ok(check.ok);
    assert.deepEqual([check.binding.userId, check.binding.skill, check.binding.tool, check.binding.connectionIds], ['alice', 'solo-skill', 'run', [solo]]);
    const row = lastAudit('solo-skill');
    assert.deepEqual([row?.action, row?.outcome, row?.connectionId, row?.tool], ['broker_mint', 'ok', solo, 'run']);
    assert.ok(!JSON.stringify(m).includes(SECRETS[2]!));
  });

  test('no connection of the service: refused with the fix; unknown service: not found', async () => {
    refused(await call(alice, 'broker.mint', { skill: 'empty-skill', tool: 'run', service: 'emptyapi' }), 'auth_failed', /you have none: connect it .*sophon connect add emptyapi/);
    assert.deepEqual([lastAudit('empty-skill')?.action, lastAudit('empty-skill')?.outcome], ['broker_mint', 'denied']);
    refused(await call(alice, 'broker.mint', { skill: 'empty-skill', tool: 'run', service: 'nosuchapi' }), 'not_found', /not in the catalog/);
  });

  test('a service whose terms forbid proxying: refused before anyone is asked', async () => {
    const ui = listen('alice');
    refused(await call(alice, 'broker.mint', { skill: 'terms-skill', tool: 'run', service: 'termsapi' }), 'auth_failed', /never attaches it/);
    ui.stop();
    assert.deepEqual(ui.seen, []);
  });

  test('several connections and no window open: refused at once as ambiguous, naming them', async () => {
    const e = await call(alice, 'broker.mint', { skill: 'mail-skill', tool: 'digest', service: 'mailapi' });
    refused(e, 'ambiguous', /2 Test mailapi connections — .* — and no Sophon window is open to ask which one skill mail-skill \(tool digest\) should use/);
    assert.ok(!e.ok && e.error.message.includes(`${work} (Work)`) && e.error.message.includes(`${homeConn} (Home)`), 'both choices named');
    assert.deepEqual([lastAudit('mail-skill')?.outcome, lastAudit('mail-skill')?.serviceId], ['denied', 'mailapi']);
  });

  test('several connections: the person is asked in their window, picks one, the token is bound to it', async () => {
    const ui = listen('alice');
    const pending = call(alice, 'broker.mint', { skill: 'mail-skill', tool: 'digest', service: 'mailapi', scopes: [] });
    const c = await question(ui.seen);
    assert.deepEqual([c.skill, c.tool, c.serviceId, c.serviceName], ['mail-skill', 'digest', 'mailapi', 'Test mailapi']);
    assert.deepEqual(
      [...c.options].sort((a, b) => a.label.localeCompare(b.label)),
      [
        { id: homeConn, label: 'Home', account: null, state: 'active' },
        { id: work, label: 'Work', account: null, state: 'active' },
      ],
    );
    assert.deepEqual(ok(await call(alice, 'broker.choose', { request: c.request, connection: homeConn })), { request: c.request, outcome: 'picked' });
    const m = ok<Minted>(await pending);
    assert.deepEqual([m.connectionId, m.chosenBy], [homeConn, 'person']);
    const check = core.brokerTokens().check(m.token);
    assert.ok(check.ok && check.binding.connectionIds.length === 1 && check.binding.connectionIds[0] === homeConn);
    assert.equal(ui.seen.at(-1)?.phase, 'closed');
    ui.stop();
    const everything = JSON.stringify(ui.seen);
    for (const s of SECRETS) assert.ok(!everything.includes(s), 'no secret in the question');
  });

  test('a cancel refuses the call (forbidden), audited', async () => {
    const ui = listen('alice');
    const pending = call(alice, 'broker.mint', { skill: 'cancel-skill', tool: 'digest', service: 'mailapi' });
    const c = await question(ui.seen);
    ok(await call(alice, 'broker.choose', { request: c.request, connection: null }));
    refused(await pending, 'forbidden', /You declined: skill cancel-skill \(tool digest\)/);
    assert.deepEqual([lastAudit('cancel-skill')?.action, lastAudit('cancel-skill')?.outcome], ['broker_mint', 'denied']);
    ui.stop();
  });

  test('no answer in time: refused as ambiguous, naming the choices', async () => {
    const quick = createOperations({ core, ownerUserId: 'alice', emit: (userId, event, payload) => hub.emit(userId, event, payload), chooseTimeoutMs: 40 });
    const ui = listen('alice');
    const e = await dispatch(quick, alice, 'broker.mint', { skill: 'slow-skill', tool: 'digest', service: 'mailapi' });
    refused(e, 'ambiguous', /Nobody picked which Test mailapi connection skill slow-skill \(tool digest\) should use within 1 s/);
    assert.ok(!e.ok && e.error.message.includes(`${work} (Work)`) && e.error.message.includes(`${homeConn} (Home)`), 'both choices named');
    assert.deepEqual(ui.seen.map((c) => c.phase), ['open', 'closed']);
    ui.stop();
  });

  test("another user's window never sees the question and cannot answer it", async () => {
    const aliceUi = listen('alice');
    const bobUi = listen('bob');
    const pending = call(alice, 'broker.mint', { skill: 'mail-skill', tool: 'digest', service: 'mailapi' });
    const c = await question(aliceUi.seen);
    refused(await call(bob, 'broker.choose', { request: c.request, connection: work }), 'not_found', /No open question/);
    refused(await call(bob, 'broker.choose', { request: c.request, connection: null }), 'not_found', /No open question/);
    // Alice's own answer must be one of the options.
    refused(await call(alice, 'broker.choose', { request: c.request, connection: 'bob-mail' }), 'invalid_input', /not one of the connections offered/);
    ok(await call(alice, 'broker.choose', { request: c.request, connection: work }));
    assert.equal(ok<Minted>(await pending).connectionId, work);
    assert.deepEqual(bobUi.seen, []);
    aliceUi.stop();
    bobUi.stop();
  });

  test('a connection named by the caller is used as named; scopes are not asked of a token connection, whose scopes only its issuer knows', async () => {
    const m = ok<Minted>(await call(alice, 'broker.mint', { skill: 'named-skill', tool: 'digest', connection: 'Work', ttlSeconds: 60 }));
    assert.deepEqual([m.connectionId, m.chosenBy], [work, 'caller']);
    assert.ok(Date.parse(m.expiresAt) <= Date.now() + 60_000);
    // `connect reauth` refuses a bearer connection: suggesting it (as before) could not help. OAuth scopes: skill-oauth.test.ts.
    const scoped = ok<Minted>(await call(alice, 'broker.mint', { skill: 'named-skill', tool: 'digest', connection: work, scopes: ['mail.read'] }));
    assert.deepEqual(scoped.scopes, []);
    // A reference that fits several is refused listing them, as everywhere.
    refused(await call(alice, 'broker.mint', { skill: 'named-skill', tool: 'digest', connection: 'mailapi' }), 'ambiguous', /matches 2 connections/);
  });

  test('bad input is refused before anyone is asked', async () => {
    const ui = listen('alice');
    refused(await call(alice, 'broker.mint', { skill: 'no spaces', tool: 'digest', service: 'mailapi' }), 'invalid_input', /skill/);
    refused(await call(alice, 'broker.mint', { skill: 's', tool: 't', service: 'mailapi', connection: work }), 'invalid_input', /either a service or a connection/);
    refused(await call(alice, 'broker.mint', { skill: 's', tool: 't' }), 'invalid_input', /either a service or a connection/);
    ui.stop();
    assert.deepEqual(ui.seen, []);
  });
});
