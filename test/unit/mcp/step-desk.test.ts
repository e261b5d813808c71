// The desktop app's side of the MCP door's person steps: run/app.json says the app runs for a user, and the step
// desk opens the window at each step `sophon mcp` leaves in run/mcp-steps. Real files in a temporary SOPHON_HOME;
// both sides in one process (test/integration/mcp/mcp-app-steps.test.ts runs `sophon mcp` apart).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'vitest';
import { runningNote } from '../../../electron/core/config/run-address';
import { appRunsFor, askStepInApp, startStepDesk, type StepDesk } from '../../../electron/core/mcp/step-desk';
import { tempHome } from '../../helpers/home';

/** A pid no process has (beyond Linux's pid_max). */
const DEAD_PID = 4_194_304 + 7;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(userId = 'default') {
  const { home, cleanup } = await tempHome();
  cleanups.push(cleanup);
  const shown: string[] = [];
  const desk: StepDesk = await startStepDesk({ home, userId, show: (route) => shown.push(route), intervalMs: 20 });
  cleanups.push(desk.stop);
  return { home, shown, desk };
}

const until = async (what: string, check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('run/app.json', () => {
  test('the running desk announces its pid and user (0600 in a 0700 folder); stop removes it', async () => {
    const { home, desk } = await setup('alice');
    const file = join(home, 'run', 'app.json');
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { userId: 'alice', pid: process.pid });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(home, 'run'))).mode & 0o777, 0o700);
    assert.equal(await appRunsFor(home, 'alice'), true);
    assert.equal(await appRunsFor(home, 'bob'), false, "another user's MCP process does not send steps to alice's app");
    await desk.stop();
    assert.equal(existsSync(file), false);
    assert.equal(await appRunsFor(home, 'alice'), false);
  });

  test('a note whose process is gone, or that does not parse, is as if absent', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    await mkdir(join(home, 'run'));
    await writeFile(join(home, 'run', 'app.json'), JSON.stringify({ userId: 'default', pid: DEAD_PID }));
    assert.equal(await runningNote(home, 'app'), null);
    assert.equal(await appRunsFor(home, 'default'), false);
    await writeFile(join(home, 'run', 'app.json'), '{"userId": "default", "pid":');
    assert.equal(await appRunsFor(home, 'default'), false);
  });

  test("stop leaves another process's note alone (a second app started meanwhile wrote over it)", async () => {
    const { home, desk } = await setup();
    const other = JSON.stringify({ userId: 'default', pid: process.ppid });
    await writeFile(join(home, 'run', 'app.json'), other);
    await desk.stop();
    assert.equal(await readFile(join(home, 'run', 'app.json'), 'utf8'), other);
  });
});

describe('the step desk', () => {
  test('a step of its user opens the window at its route, once; the asker sees it done from the store and removes the file', async () => {
    const { home, shown } = await setup();
    let done = false;
    const asked = askStepInApp(home, 'default', { kind: 'add', route: '#/add/github' }, () => done, { timeoutMs: 10_000, pollMs: 20 });
    await until('the window shown at the add page', () => shown.length === 1);
    assert.deepEqual(shown, ['#/add/github']);
    const dir = join(home, 'run', 'mcp-steps');
    const [name] = await readdir(dir);
    const file = JSON.parse(await readFile(join(dir, name!), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(file).sort(), ['expiresAt', 'id', 'kind', 'pid', 'route', 'userId']);
    assert.equal((await stat(join(dir, name!))).mode & 0o777, 0o600);
    // Several looks later it is still one showing: the person may close the window without it coming back.
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(shown.length, 1);
    done = true;
    assert.equal(await asked, 'done');
    assert.deepEqual(await readdir(dir), []);
  });

  test("another user's step, a dead asker's, an expired one and a route outside the app's step pages are not shown", async () => {
    const { home, shown, desk } = await setup();
    const dir = join(home, 'run', 'mcp-steps');
    await mkdir(dir, { recursive: true });
    const step = (id: string, over: object) => writeFile(join(dir, `${id}.json`), JSON.stringify({ id, kind: 'add', route: '#/add/github', userId: 'default', pid: process.pid, expiresAt: Date.now() + 60_000, ...over }));
    await step('other-user', { userId: 'bob' });
    await step('dead', { pid: DEAD_PID });
    await step('expired', { expiresAt: Date.now() - 1 });
    await step('elsewhere', { route: 'https://evil.example/#/add/github' });
    await step('traversal', { route: '#/connection/../../settings' });
    await step('mismatch', { id: 'not-the-name' });
    await desk.poke();
    await desk.poke();
    assert.deepEqual(shown, []);
    // The dead asker's file is removed by the look; the others are left to their askers.
    assert.deepEqual((await readdir(dir)).sort(), ['elsewhere.json', 'expired.json', 'mismatch.json', 'other-user.json', 'traversal.json']);
    await step('reauth', { kind: 'reauth', route: '#/connection/github-3f9a2c41d0' });
    await desk.poke();
    assert.deepEqual(shown, ['#/connection/github-3f9a2c41d0']);
  });

  test('the asker gives up at its deadline or when its call is cancelled, and removes its file', async () => {
    const { home, shown } = await setup();
    const dir = join(home, 'run', 'mcp-steps');
    assert.equal(await askStepInApp(home, 'default', { kind: 'add', route: '#/add/github' }, () => false, { timeoutMs: 100, pollMs: 20 }), 'timeout');
    assert.deepEqual(await readdir(dir), []);
    const abort = new AbortController();
    const asked = askStepInApp(home, 'default', { kind: 'reauth', route: '#/connection/github-aa' }, () => false, { timeoutMs: 10_000, pollMs: 20, signal: abort.signal });
    await until('shown', () => shown.includes('#/connection/github-aa'));
    abort.abort();
    assert.equal(await asked, 'aborted');
    assert.deepEqual(await readdir(dir), []);
  });

  test('a route the app cannot show is refused before anything is written', async () => {
    const { home } = await setup();
    await assert.rejects(askStepInApp(home, 'default', { kind: 'add', route: '#/add/Not A Service' }, () => true, { timeoutMs: 1000, pollMs: 20 }));
    assert.equal(existsSync(join(home, 'run', 'mcp-steps')), false);
  });
});
