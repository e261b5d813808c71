// The renderer over its IPC transport. Electron cannot run here, so the preload's `window.sophon` is
// stood in for by an init script of the same shape as electron/preload (one function per operation
// returning the envelope, and `on(event, listener)` returning an unsubscribe); behind it, this test
// forwards each call to the real `sophon dashboard` REST API and its event stream. The page gets no
// token: with `window.sophon` present the renderer must use it, and the page itself makes no /api/ call.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type BrowserContext, type Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { OPERATION_NAMES } from '../../shared/operations';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { startDashboard, type Dashboard } from './dashboard-helpers';

/** The bridge, as plain JavaScript (a string: the page's CSP forbids eval, init scripts are not eval). */
const BRIDGE = `(() => {
  const listeners = new Map();
  const bridge = {};
  for (const op of ${JSON.stringify(OPERATION_NAMES)}) bridge[op] = (input) => window.__bridgeInvoke(op, input === undefined ? {} : input);
  bridge.on = (event, listener) => {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(listener);
    window.__bridgeSubscriptions = (window.__bridgeSubscriptions || 0) + 1;
    return () => listeners.get(event).delete(listener);
  };
  window.__bridgeEmit = (event, payload) => { for (const l of listeners.get(event) || []) l(payload); };
  window.sophon = Object.freeze(bridge);
})();`;

test.describe('the renderer over IPC (window.sophon): the same screens, live updates, no HTTP of its own', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  let dashboard: Dashboard;
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let context: BrowserContext;
  let page: Page;
  const pageApiRequests: string[] = [];
  const invoked: string[] = [];
  const stream = new AbortController();

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    const added = await sophon(['connect', 'add', 'openai', '--label', 'Team key', '--secret-stdin', '--no-test', '--json'], { home, stdin: `sk-ipc-${'y'.repeat(40)}\n` });
    assert.equal(added.code, 0, added.stderr);
    api = await startUserApi('sk-the-right-key-0123456789');
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    dashboard = await startDashboard(home);
    context = await browser.newContext();
    context.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) pageApiRequests.push(r.url());
    });
    await context.exposeBinding('__bridgeInvoke', async (_source, op: string, input: unknown) => {
      invoked.push(op);
      const res = await fetch(`${dashboard.origin}/api/${op}`, { method: 'POST', headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
      return (await res.json()) as unknown;
    });
    await context.addInitScript({ content: BRIDGE });
    page = await context.newPage();
    // Events: what main would send over `sophon:event:<name>`, read here from the server's stream.
    void (async () => {
      const res = await fetch(`${dashboard.origin}/api/events`, { headers: { authorization: `Bearer ${dashboard.token}` }, signal: stream.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) await page.evaluate(([e, d]) => (globalThis as unknown as { __bridgeEmit: (e: string, p: unknown) => void }).__bridgeEmit(e, JSON.parse(d)), [event, data] as const).catch(() => undefined);
        }
      }
    })().catch(() => undefined);
  });
  test.afterAll(async () => {
    stream.abort();
    await context?.close();
    await dashboard?.stop();
    await api?.close();
    await cleanup?.();
  });

  let id = '';
  test('with window.sophon present the renderer calls it, not HTTP, and shows the connections', async () => {
    await page.goto(`${dashboard.origin}/#/connections`);
    const row = page.locator('li.conn-row');
    await row.waitFor();
    id = (await row.getAttribute('data-connection-id'))!;
    assert.match(await row.innerText(), /Team key/);
    for (const op of ['session.info', 'connections.list']) assert.ok(invoked.includes(op), `${op} went through the bridge: ${invoked}`);
    assert.deepEqual(pageApiRequests, [], 'the page made no /api/ request itself');
    assert.ok(((await page.evaluate('window.__bridgeSubscriptions')) as number) >= 1, 'the renderer subscribed with on()');
  });

  test('a rename from another process arrives as connections.changed through on(), without a reload', async () => {
    await page.evaluate('window.__sameDocument = true');
    const r = await sophon(['connect', 'rename', id, 'Renamed elsewhere', '--json'], { home });
    assert.equal(json<Connection>(r).label, 'Renamed elsewhere');
    await page.locator('li.conn-row').getByText('Renamed elsewhere').waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate('window.__sameDocument === true'), true);
  });

  test('an error envelope through the bridge becomes its sentence (a rejected key → auth_failed)', async () => {
    await page.goto(`${dashboard.origin}/#/add/localapi`);
    await page.getByLabel('Token').fill('sk-wrong-key-0123456789');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /^The service refused the credential\./);
    assert.ok(invoked.includes('connections.add'));
    assert.deepEqual(pageApiRequests, [], 'still no HTTP from the page');
  });
});
