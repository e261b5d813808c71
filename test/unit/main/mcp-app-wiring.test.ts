import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test, vi } from 'vitest';
import type { Envelope, EventPayload } from '../../../shared/contract';
import { OPERATION_NAMES } from '../../../shared/operations';
import { askStepInApp } from '../../../electron/core/mcp/step-desk';
import { askThroughStore } from '../../../electron/core/mcp/store-questions';
import { tempHome } from '../../helpers/home';

// Electron's binary cannot run here: 'electron' resolves to the stand-in (electron-stand-in.ts). The MCP side is the
// real core code `sophon mcp` runs, in this process: what is under test is that the app's main process answers it.
vi.mock('electron', () => import('./electron-stand-in'));

type StandIn = typeof import('./electron-stand-in');
type Choice = EventPayload<'connection.choose'>;

const until = async (what: string, check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("Electron main: the MCP door's person steps reach the app (step desk, picks through run/mcp-questions)", () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let electron: StandIn;
  const saved = { home: process.env.SOPHON_HOME, user: process.env.SOPHON_USER, HOME: process.env.HOME };
  const appNote = () => join(home.home, 'run', 'app.json');
  let quit = false;

  beforeAll(async () => {
    home = await tempHome();
    process.env.SOPHON_HOME = home.home;
    delete process.env.SOPHON_USER;
    // The start-up look for CLI logins reads the home folder: an empty one here.
    process.env.HOME = await mkdtemp(join(tmpdir(), 'sophon-main-home-'));
    electron = (await import('electron')) as unknown as StandIn;
    await import('../../../electron/main/index');
    await until('IPC handlers, the window and run/app.json', () => electron.ipcMain.handlers.size >= OPERATION_NAMES.length && electron.BrowserWindow.instances.length > 0 && existsSync(appNote()));
  });

  afterAll(async () => {
    if (!quit) electron?.app.emit('will-quit');
    process.env.SOPHON_HOME = saved.home;
    if (saved.user !== undefined) process.env.SOPHON_USER = saved.user;
    process.env.HOME = saved.HOME;
    await home?.cleanup();
  });

  const win = () => electron.BrowserWindow.instances[0]!;
  const invoke = <T,>(name: string, input: unknown) => electron.ipcMain.handlers.get(`sophon:${name}`)!({ sender: win().webContents, senderFrame: win().webContents.mainFrame }, input) as Promise<Envelope<T>>;

  test('the app says it runs, for its user, in run/app.json', async () => {
    assert.deepEqual(JSON.parse(await readFile(appNote(), 'utf8')), { userId: 'default', pid: process.pid });
  });

  test("an add step left by `sophon mcp` brings the window up at the step's page", async () => {
    let done = false;
    const focused = win().focused;
    const asked = askStepInApp(home.home, 'default', { kind: 'add', route: '#/add/github' }, () => done, { timeoutMs: 10_000, pollMs: 20 });
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
    const asked = askThroughStore(home.home, 'default', { skill: 'claude-code', tool: 'http_request', serviceId: 'github', serviceName: 'GitHub', options }, { timeoutMs: 20_000, pollMs: 20 });
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
    quit = true;
    electron.app.emit('will-quit');
    assert.equal(existsSync(appNote()), false);
  });
});
