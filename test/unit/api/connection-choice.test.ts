import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { EventPayload } from '../../../shared/contract';
import { ConnectionChoices, type ChoiceQuestion } from '../../../electron/core/api/connection-choice';
import { EventHub } from '../../../electron/core/api/events';
import { SophonError } from '../../../electron/core/errors';

type Choice = EventPayload<'connection.choose'>;

const question: ChoiceQuestion = {
  skill: 'mail-digest',
  tool: 'summarize',
  serviceId: 'gmail',
  serviceName: 'Gmail',
  options: [
    { id: 'gmail-aaaa', label: 'Work', account: 'me@work.example', state: 'active' },
    { id: 'gmail-bbbb', label: 'Home', account: 'me@home.example', state: 'needs_reauth' },
  ],
};

/** A hub with one UI per named user, recording what each heard. */
function setup() {
  const hub = new EventHub();
  const choices = new ConnectionChoices({ announce: (userId, payload) => hub.emit(userId, 'connection.choose', payload) });
  const heard = (userId: string) => {
    const seen: Choice[] = [];
    const stop = hub.subscribe(userId, (event, payload) => {
      if (event === 'connection.choose') seen.push(payload as Choice);
    });
    return { seen, stop };
  };
  return { hub, choices, heard };
}

const opened = async (seen: Choice[]): Promise<Choice> => {
  // announce() runs synchronously inside ask(), so the question is there by the next microtask.
  await Promise.resolve();
  const c = seen.find((x) => x.phase === 'open');
  assert.ok(c, 'the question was announced');
  return c;
};

describe('pending connection choices', () => {
  test('a pick settles the question with that connection, and every window hears it closed', async () => {
    const { choices, heard } = setup();
    const tab1 = heard('alice');
    const tab2 = heard('alice');
    const asked = choices.ask('alice', question, 60_000);
    const c = await opened(tab1.seen);
    assert.deepEqual(tab2.seen.map((x) => x.request), [c.request], 'each of the user\'s windows is asked');
    assert.deepEqual(c.options, question.options);
    assert.ok(Date.parse(c.expiresAt) > Date.now() + 50_000);
    assert.equal(choices.answer('alice', c.request, 'gmail-bbbb'), 'picked');
    assert.deepEqual(await asked, { kind: 'picked', connectionId: 'gmail-bbbb' });
    assert.deepEqual(tab2.seen.map((x) => x.phase), ['open', 'closed']);
    assert.equal(choices.openFor('alice').length, 0);
    // A second answer (the other window) finds nothing.
    assert.throws(() => choices.answer('alice', c.request, 'gmail-aaaa'), (e: unknown) => e instanceof SophonError && e.code === 'not_found');
  });

  test('a cancel settles as cancelled', async () => {
    const { choices, heard } = setup();
    const ui = heard('alice');
    const asked = choices.ask('alice', question, 60_000);
    const c = await opened(ui.seen);
    assert.equal(choices.answer('alice', c.request, null), 'cancelled');
    assert.deepEqual(await asked, { kind: 'cancelled' });
    assert.equal(ui.seen.at(-1)?.phase, 'closed');
  });

  test('no answer in time settles as a timeout, and the question is gone', async () => {
    const { choices, heard } = setup();
    const ui = heard('alice');
    // The question's own timer is unref'd (it must not hold a stopping server open): keep this test's process alive.
    const alive = setInterval(() => undefined, 1_000);
    try {
      const asked = choices.ask('alice', question, 30);
      const c = await opened(ui.seen);
      assert.deepEqual(await asked, { kind: 'timeout' });
      assert.equal(ui.seen.at(-1)?.phase, 'closed');
      assert.throws(() => choices.answer('alice', c.request, 'gmail-aaaa'), (e: unknown) => e instanceof SophonError && e.code === 'not_found');
    } finally {
      clearInterval(alive);
    }
  });

  test('with no window of that user open, it settles at once as unattended (nobody else is asked)', async () => {
    const { choices, heard } = setup();
    const bob = heard('bob');
    assert.deepEqual(await choices.ask('alice', question, 60_000), { kind: 'unattended' });
    assert.equal(choices.openFor('alice').length, 0);
    assert.deepEqual(bob.seen, []);
  });

  test('another user never hears the question and cannot answer it; an option not offered is refused', async () => {
    const { choices, heard } = setup();
    const alice = heard('alice');
    const bob = heard('bob');
    const asked = choices.ask('alice', question, 60_000);
    const c = await opened(alice.seen);
    assert.deepEqual(bob.seen, []);
    for (const answer of ['gmail-aaaa', null]) {
      assert.throws(() => choices.answer('bob', c.request, answer), (e: unknown) => e instanceof SophonError && e.code === 'not_found' && !e.message.includes('gmail-aaaa'));
    }
    assert.throws(() => choices.answer('alice', c.request, 'gmail-cccc'), (e: unknown) => e instanceof SophonError && e.code === 'invalid_input' && /gmail-aaaa, gmail-bbbb/.test(e.message));
    // A window opened now lists the question for alice only.
    assert.deepEqual(choices.openFor('alice').map((q) => q.request), [c.request]);
    assert.deepEqual(choices.openFor('bob'), []);
    choices.answer('alice', c.request, 'gmail-aaaa');
    assert.deepEqual(await asked, { kind: 'picked', connectionId: 'gmail-aaaa' });
    assert.deepEqual(bob.seen, []);
  });
});
