import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test, vi } from 'vitest';
import type { Envelope, EventPayload } from '../../../shared/contract';
import { OPERATION_NAMES } from '../../../shared/operations';
import { askStepInApp } from '../../../electron/core/mcp/step-desk';
import { askThroughStore } from '../../../electron/core/mcp/store-questions';
import { loadMain, until } from './load-main';

// Electron's binary cannot run here: 'electron' resolves to the stand-in (electron-stand-in.ts). The MCP side is the
// real core code `sophon mcp` runs, in this process: what is under test is that the app's main process answers it.
vi.mock('electron', () => import('./electron-stand-in'));

type StandIn = typeof import('./electron-stand-in');
type Choice = EventPayload<'connection.choose'>;

describe("Electron main: the MCP door's person steps reach the app (step desk, picks through run/mcp-questions)", () => {
  let main: Awaited<ReturnType<typeof loadMain>>;
  let electron: StandIn;
  let home = '';
  const appNote = () => join(home, 'run', 'app.json');

  beforeAll(async () => {
    // The home is known only once main is loading; run/app.json is looked for under SOPHON_HOME.
    main = await loadMain((e) => e.ipcMain.handlers.size >= OPERATION_NAMES.length && e.BrowserWindow.instances.length > 0 && existsSync(join(process.env.SOPHON_HOME!, 'run', 'app.json')));
    ({ electron, home } = main);
  });

  afterAll(async () => {
    main?.quit();
    await main?.cleanup();
  });

  const win = () => electron.BrowserWindow.instances[0]!;
  const invoke = <T,>(name: string, input: unknown) => electron.ipcMain.handlers.get(`sophon:${name}`)!({ sender: win().webContents, senderFrame: win().webContents.mainFrame }, input) as Promise<Envelope<T>>;

  test('the app says it runs, for its user, in run/app.json', async () => {
    assert.deepEqual(JSON.parse(await readFile(appNote(), 'utf8')), { userId: 'default', pid: process.pid });
  });

  test("an add step left by `sophon mcp` brings the window up at the step's page", async () => {
    let done = false;
    const focused = win().focused;
    const asked = askStepInApp(home, 'default', { kind: 'add', route: '#/add/github' }, () => done, { timeoutMs: 10_000, pollMs: 20 });
    await until('the window at #/add/github', () => win().loaded.includes('app://sophon/index.html#/add/github'));
    assert.equal(win().focused, focused + 1);
    assert.equal(electron.BrowserWindow.instances.length, 1, 'the one window, not a second');
    done = true;
    assert.equal(await asked, 'done');
  });

  test('a pick asked through run/mcp-questions reaches the window as connection.choose; the answer over IPC goes back to the asker', async () => {
    const shown = win().shown;
    const options = [
      { id: 'github-aaaa', label: 'Work', account: 'me@work.example', state: 'active' as const },
      { id: 'github-bbbb', label: 'Home', account: null, state: 'active' as const },
    ];
    const asked = askThroughStore(home, 'default', { skill: 'claude-code', tool: 'http_request', serviceId: 'github', serviceName: 'GitHub', options }, { timeoutMs: 20_000, pollMs: 20 });
    const choose = () => win().webContents.sent.find((m) => m.channel === 'sophon:event:connection.choose' && (m.payload as Choice).phase === 'open')?.payload as Choice | undefined;
    await until('connection.choose sent to the window', () => choose() !== undefined);
    const q = choose()!;
    assert.equal(q.skill, 'claude-code');
    assert.deepEqual(q.options, options);
    assert.ok(win().shown > shown, 'the window was brought up to ask');
    // A window opened later lists it; the person's answer is the ordinary broker.choose.
    const listed = await invoke<{ questions: Choice[] }>('broker.questions', {});
    assert.ok(listed.ok && listed.value.questions.some((x) => x.request === q.request));
    const answered = await invoke('broker.choose', { request: q.request, connection: 'github-bbbb' });
    assert.deepEqual(answered, { ok: true, value: { request: q.request, outcome: 'picked' } });
    assert.deepEqual(await asked, { kind: 'picked', connectionId: 'github-bbbb' });
  });

  test('at quit run/app.json is removed', () => {
    main.quit();
    assert.equal(existsSync(appNote()), false);
  });
});
