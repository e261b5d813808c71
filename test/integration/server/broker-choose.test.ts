// broker.mint over REST against the real `sophon dashboard` process: a call naming only a service the
// person has two connections of waits for their answer in the dashboard's event stream, and is refused
// (never guessed) when nobody can answer.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { EventPayload, Out } from '../../../shared/contract';
import { parseSseBlock } from '../../../shared/client';
import { json, sophon } from '../../helpers/cli';
import { userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { call, openEvents, startDashboardProcess, type Dashboard } from './dashboard-process';

type Choice = EventPayload<'connection.choose'>;
const SECRETS = ['rest-choose-work-0123456789abcdef', 'rest-choose-home-0123456789abcdef'];

const choicesIn = (text: string): Choice[] =>
  text
    .split('\n\n')
    .map(parseSseBlock)
    .filter((b) => b?.event === 'connection.choose')
    .map((b) => b!.data as Choice);

async function setupHome(chooseWaitSeconds: number) {
  const home = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Broker: { ChooseWaitSeconds: chooseWaitSeconds } } });
  await mkdir(join(home.home, 'connectors'), { recursive: true });
  // The connector of a person's own local API; the connections are stored untested and no call goes out.
  await writeFile(join(home.home, 'connectors', 'mailapi.json'), userApiConnector('mailapi', 9));
  return home;
}

async function addTwo(d: Dashboard): Promise<[string, string]> {
  const ids: string[] = [];
  for (const [label, secret] of [['Work', SECRETS[0]!], ['Home', SECRETS[1]!]] as const) {
    const r = await call(d, d.token, 'connections.add', { serviceId: 'mailapi', label, secret, test: false });
    assert.equal(r.status, 200, r.body);
    ids.push((r.json().value as { connection: { id: string } }).connection.id);
  }
  return [ids[0]!, ids[1]!];
}

describe('REST: broker.mint asks the person which connection, per user', () => {
  let home: Awaited<ReturnType<typeof setupHome>>;
  let d: Dashboard;
  let bobToken: string;
  let work: string;
  let homeConn: string;

  beforeAll(async () => {
    home = await setupHome(60);
    d = await startDashboardProcess(home.home);
    [work, homeConn] = await addTwo(d);
    const created = await sophon(['api-token', 'create', '--user', 'bob', '--json'], { home: home.home });
    assert.equal(created.code, 0, created.stderr);
    bobToken = json<{ token: string }>(created).token;
  });

  afterAll(async () => {
    await d?.stop();
    await home?.cleanup();
  });

  test('no window of the user open: 409 ambiguous at once, naming both connections', async () => {
    // Bob's stream is open: it is not the person's, so nobody can be asked.
    const bobEvents = openEvents(d, bobToken);
    await bobEvents.waitFor(': connected');
    const r = await call(d, d.token, 'broker.mint', { skill: 'mail-digest', tool: 'summarize', service: 'mailapi' });
    bobEvents.close();
    assert.equal(r.status, 409, r.body);
    assert.equal(r.json().error?.code, 'ambiguous');
    assert.match(r.json().error!.message, /no Sophon window is open/);
    for (const id of [work, homeConn]) assert.ok(r.json().error!.message.includes(id), id);
    assert.ok(!bobEvents.text().includes('connection.choose'));
  });

  test('picked in the stream\'s window: 200 with a broker token bound to that connection, audited', async () => {
    const events = openEvents(d, d.token);
    const bobEvents = openEvents(d, bobToken);
    await events.waitFor(': connected');
    await bobEvents.waitFor(': connected');
    const minting = call(d, d.token, 'broker.mint', { skill: 'mail-digest', tool: 'summarize', service: 'mailapi' });
    await events.waitFor('"phase":"open"');
    const [choice] = choicesIn(events.text());
    assert.ok(choice);
    assert.deepEqual([choice.skill, choice.tool, choice.serviceName, choice.options.map((o) => o.id).sort()], ['mail-digest', 'summarize', 'Local mailapi', [work, homeConn].sort()]);

    // A window opened now finds it through broker.questions; bob's finds nothing.
    const listed = (await call(d, d.token, 'broker.questions', {})).json().value as Out<'broker.questions'>;
    assert.deepEqual(listed.questions.map((q) => [q.request, q.phase]), [[choice.request, 'open']]);
    assert.deepEqual(((await call(d, bobToken, 'broker.questions', {})).json().value as Out<'broker.questions'>).questions, []);

    // Bob cannot answer it (404, as if it did not exist) and never heard of it.
    const bobAnswer = await call(d, bobToken, 'broker.choose', { request: choice.request, connection: work });
    assert.equal(bobAnswer.status, 404, bobAnswer.body);

    const answer = await call(d, d.token, 'broker.choose', { request: choice.request, connection: homeConn });
    assert.equal(answer.status, 200, answer.body);
    const minted = await minting;
    assert.equal(minted.status, 200, minted.body);
    const m = minted.json().value as Out<'broker.mint'>;
    assert.deepEqual([m.connectionId, m.chosenBy, m.skill, m.tool], [homeConn, 'person', 'mail-digest', 'summarize']);
    assert.match(m.token, /^sbt_[A-Za-z0-9_-]{43}$/);
    await events.waitFor('"phase":"closed"');
    events.close();
    bobEvents.close();
    assert.ok(!bobEvents.text().includes('connection.choose'), "another user's stream never hears the question");
    // Answered once: a second answer finds nothing, and it is no longer listed.
    assert.equal((await call(d, d.token, 'broker.choose', { request: choice.request, connection: work })).status, 404);
    assert.deepEqual(((await call(d, d.token, 'broker.questions', {})).json().value as Out<'broker.questions'>).questions, []);

    const audit = (await call(d, d.token, 'audit.query', { skill: 'mail-digest', action: 'broker_mint', limit: 10 })).json().value as { rows: { outcome: string; connectionId: string | null; detail: string }[] };
    const okRow = audit.rows.find((r) => r.outcome === 'ok');
    assert.equal(okRow?.connectionId, homeConn);
    assert.ok(okRow?.detail.includes(`token ${m.id}`));
    assert.ok(!okRow?.detail.includes(m.token), 'the audit names the token id, never the token');
    const everything = [events.text(), minted.body, JSON.stringify(audit), d.output()].join('\n');
    for (const s of SECRETS) assert.ok(!everything.includes(s), 'no credential in the question, the answer, the audit or the server output');
    assert.ok(!d.output().includes(m.token), 'the broker token is not logged');
  });

  test('cancelled in the window: 403 forbidden, audited as denied', async () => {
    const events = openEvents(d, d.token);
    await events.waitFor(': connected');
    const minting = call(d, d.token, 'broker.mint', { skill: 'mail-cancel', tool: 'summarize', service: 'mailapi' });
    await events.waitFor('"phase":"open"');
    const [choice] = choicesIn(events.text());
    const answer = await call(d, d.token, 'broker.choose', { request: choice!.request, connection: null });
    assert.deepEqual(answer.json().value, { request: choice!.request, outcome: 'cancelled' });
    const refused = await minting;
    events.close();
    assert.equal(refused.status, 403, refused.body);
    assert.match(refused.json().error!.message, /You declined/);
    const audit = (await call(d, d.token, 'audit.query', { skill: 'mail-cancel', limit: 10 })).json().value as { rows: { action: string; outcome: string }[] };
    assert.deepEqual(audit.rows.map((r) => [r.action, r.outcome]), [['broker_mint', 'denied']]);
  });
});

describe('REST: broker.mint with nobody answering in time', () => {
  let home: Awaited<ReturnType<typeof setupHome>>;
  let d: Dashboard;

  beforeAll(async () => {
    home = await setupHome(1);
    d = await startDashboardProcess(home.home);
    await addTwo(d);
  });

  afterAll(async () => {
    await d?.stop();
    await home?.cleanup();
  });

  test('Sophon.Broker.ChooseWaitSeconds passes: 409 ambiguous, and the window hears the question closed', async () => {
    const events = openEvents(d, d.token);
    await events.waitFor(': connected');
    const r = await call(d, d.token, 'broker.mint', { skill: 'mail-slow', tool: 'summarize', service: 'mailapi' });
    await events.waitFor('"phase":"closed"');
    events.close();
    assert.equal(r.status, 409, r.body);
    assert.match(r.json().error!.message, /Nobody picked which Local mailapi connection skill mail-slow \(tool summarize\) should use within 1 s/);
    assert.deepEqual(choicesIn(events.text()).map((c) => c.phase), ['open', 'closed']);
  });
});
