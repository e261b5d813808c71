// "Which connection?" asked by `sophon mcp` through the store and answered by a dashboard's ConnectionChoices:
// real files in a temporary SOPHON_HOME, two sides in one process (the integration and e2e tests run them apart).
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'vitest';
import type { EventPayload } from '../../../shared/contract';
import { ConnectionChoices, type ChoiceQuestion } from '../../../electron/core/api/connection-choice';
import { EventHub } from '../../../electron/core/api/events';
import { askThroughStore, bridgeStoreQuestions } from '../../../electron/core/mcp/store-questions';
import { tempHome } from '../../helpers/home';

type Choice = EventPayload<'connection.choose'>;

const question: ChoiceQuestion = {
  skill: 'claude-code',
  tool: 'http_request',
  serviceId: 'github',
  serviceName: 'GitHub',
  options: [
    { id: 'github-aaaa', label: 'Work', account: 'me@work.example', state: 'active' },
    { id: 'github-bbbb', label: 'Home', account: null, state: 'active' },
  ],
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const { home, cleanup } = await tempHome();
  cleanups.push(cleanup);
  const hub = new EventHub();
  const choices = new ConnectionChoices({ announce: (userId, payload) => hub.emit(userId, 'connection.choose', payload) });
  const heard: Choice[] = [];
  cleanups.push(hub.subscribe('default', (event, payload) => event === 'connection.choose' && heard.push(payload as Choice)));
  const bridge = bridgeStoreQuestions(home, choices, 20);
  cleanups.push(bridge.stop);
  const opened = async () => {
    for (;;) {
      const open = heard.find((c) => c.phase === 'open');
      if (open) return open;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { home, choices, heard, opened };
}

describe('questions through the store', () => {
  test('the dashboard side asks the person; their pick reaches the asker; the files are gone afterwards (0600 while they lived)', async () => {
    const { home, choices, heard, opened } = await setup();
    const asked = askThroughStore(home, 'default', question, { timeoutMs: 10_000, pollMs: 20 });
    const open = await opened();
    assert.deepEqual(open.options, question.options);
    const file = join(home, 'run', 'mcp-questions', (await readdir(join(home, 'run', 'mcp-questions')))[0]!);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(choices.answer('default', open.request, 'github-bbbb'), 'picked');
    assert.deepEqual(await asked, { kind: 'picked', connectionId: 'github-bbbb' });
    assert.deepEqual(await readdir(join(home, 'run', 'mcp-questions')), []);
    assert.ok(heard.some((c) => c.request === open.request && c.phase === 'closed'));
  });

  test('another user is not asked; an answer that was not offered is no answer; nobody answering is a timeout', async () => {
    const { home, heard } = await setup();
    const dir = join(home, 'run', 'mcp-questions');
    const asked = askThroughStore(home, 'someone-else', question, { id: 'q-1', timeoutMs: 400, pollMs: 20 });
    await new Promise((r) => setTimeout(r, 100));
    await writeFile(join(dir, 'q-1.answer.json'), JSON.stringify({ connection: 'github-zzzz' }));
    assert.deepEqual(await asked, { kind: 'timeout' });
    assert.equal(heard.length, 0, 'the default user heard nothing of another user’s question');
  });

  test('a question whose asker is gone is not asked; a cancelled call stops the wait and closes the question', async () => {
    const { home, heard, opened } = await setup();
    const dir = join(home, 'run', 'mcp-questions');
    await mkdir(dir, { recursive: true });
    // A pid no process has (beyond Linux's pid_max).
    await writeFile(join(dir, 'dead.json'), JSON.stringify({ id: 'dead', userId: 'default', pid: 4_194_304 + 7, expiresAt: Date.now() + 60_000, ...question }));
    const abort = new AbortController();
    const asked = askThroughStore(home, 'default', question, { id: 'live', timeoutMs: 10_000, signal: abort.signal, pollMs: 20 });
    const open = await opened();
    assert.equal(heard.filter((c) => c.phase === 'open').length, 1, 'only the live question was asked');
    abort.abort();
    assert.deepEqual(await asked, { kind: 'aborted' });
    for (let i = 0; i < 100 && !heard.some((c) => c.request === open.request && c.phase === 'closed'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(heard.some((c) => c.request === open.request && c.phase === 'closed'), 'the question left the windows');
  });
});
