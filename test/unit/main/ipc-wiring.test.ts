import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test, vi } from 'vitest';
import type { Envelope } from '../../../shared/contract';
import { EVENT_NAMES, OPERATION_NAMES, operationChannel } from '../../../shared/operations';
import { loadMain, until } from './load-main';

// The main process and preload import 'electron'; here that resolves to the stand-in (see electron-stand-in.ts):
// Electron's binary cannot run here, and what is under test is the wiring, not Electron.
vi.mock('electron', () => import('./electron-stand-in'));

type StandIn = typeof import('./electron-stand-in');

describe('Electron main: IPC wiring derived from the contract, sender checks, window, deep links, tray', () => {
  let main: Awaited<ReturnType<typeof loadMain>>;
  let electron: StandIn;

  beforeAll(async () => {
    main = await loadMain((e) => e.ipcMain.handlers.size >= OPERATION_NAMES.length && e.BrowserWindow.instances.length > 0);
    electron = main.electron;
  });

  afterAll(async () => {
    main?.quit();
    await main?.cleanup();
  });

  const win = () => electron.BrowserWindow.instances[0]!;
  const invoke = (name: string, input: unknown, event?: { sender: unknown; senderFrame: unknown }) => {
    const handler = electron.ipcMain.handlers.get(`sophon:${name}`);
    assert.ok(handler, `no handler for ${name}`);
    return handler(event ?? { sender: win().webContents, senderFrame: win().webContents.mainFrame }, input) as Promise<Envelope>;
  };

  test('one handler per contract operation, and no other channel', () => {
    assert.deepEqual([...electron.ipcMain.handlers.keys()].sort(), OPERATION_NAMES.map(operationChannel).sort());
  });

  test('every handler refuses a message from another window, an iframe, or a page the window was navigated to', async () => {
    const other = new electron.StandInWebContents();
    other.mainFrame.url = 'app://sophon/index.html';
    const iframe = new electron.StandInFrame('app://sophon/index.html', win().webContents.mainFrame);
    const foreignPage = new electron.StandInWebContents();
    for (const name of OPERATION_NAMES) {
      for (const event of [
        { sender: other, senderFrame: other.mainFrame },
        { sender: win().webContents, senderFrame: iframe },
        { sender: win().webContents, senderFrame: null },
        { sender: foreignPage, senderFrame: foreignPage.mainFrame },
      ]) {
        const result = await invoke(name, {}, event);
        assert.equal(result.ok, false, name);
        assert.equal(!result.ok && result.error.code, 'forbidden', name);
      }
    }
    // The app's own window, once navigated elsewhere (it should never be), is refused too.
    const frame = win().webContents.mainFrame;
    const url = frame.url;
    frame.url = 'https://evil.example/';
    try {
      const r = await invoke('session.info', {});
      assert.equal(!r.ok && r.error.code, 'forbidden');
    } finally {
      frame.url = url;
    }
  });

  test('the app window\'s own messages reach core, validated by the contract', async () => {
    assert.deepEqual(await invoke('session.info', {}), { ok: true, value: { userId: 'default', isAdmin: true } });
    const list = await invoke('connections.list', {});
    assert.deepEqual(list, { ok: true, value: { connections: [] } });
    const bad = await invoke('connections.rename', { connection: 'x' });
    assert.equal(!bad.ok && bad.error.code, 'invalid_input');
    assert.match(!bad.ok ? bad.error.message : '', /label/);
    const missing = await invoke('connections.get', { connection: 'nope' });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
  });

  test('the window is isolated and sandboxed, loads the app over app://, and keeps navigation in the app', async () => {
    const options = win().options;
    assert.equal(options.webPreferences?.contextIsolation, true);
    assert.equal(options.webPreferences?.sandbox, true);
    assert.equal(options.webPreferences?.nodeIntegration, false);
    assert.match(String(options.webPreferences?.preload), /dist\/electron\/preload\/index\.js$/);
    assert.equal(win().loaded[0], 'app://sophon/index.html');

    const open = win().webContents.windowOpenHandler!;
    electron.shell.opened.length = 0;
    assert.deepEqual(open({ url: 'https://accounts.example/authorize?x=1' }), { action: 'deny' });
    for (const url of ['http://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'sophon://connection/x']) assert.deepEqual(open({ url }), { action: 'deny' });
    assert.deepEqual(electron.shell.opened, ['https://accounts.example/authorize?x=1']);

    const navigate = (url: string) => {
      let prevented = false;
      win().webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    assert.equal(navigate('https://evil.example/'), true);
    assert.equal(navigate('file:///etc/passwd'), true);
    assert.equal(navigate('app://sophon/index.html#/audit'), false);

    let granted: boolean | undefined;
    electron.session.defaultSession.permissionHandler!(win().webContents, 'media', (g) => (granted = g));
    assert.equal(granted, false);
  });

  test('app:// serves the built renderer with the CSP, and nothing outside it', async () => {
    const serve = electron.protocol.handlers.get('app')!;
    const index = await serve(new Request('app://sophon/index.html'));
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await index.text(), /<div id="root">/);
    assert.equal((await serve(new Request('app://sophon/..%2F..%2Fpackage.json'))).status, 404);
    assert.equal((await serve(new Request('app://other/index.html'))).status, 404);
    assert.ok(electron.protocol.privileged.some((s) => (s as { scheme: string }).scheme === 'app'));
  });

  test('a sophon:// link from a second instance focuses the window at that connection', async () => {
    const before = win().focused;
    electron.app.emit('second-instance', {}, ['/usr/bin/sophon', '--flag', 'sophon://connection/github-3f9a2c41d0'], '/');
    assert.equal(win().loaded.at(-1), 'app://sophon/index.html#/connection/github-3f9a2c41d0');
    assert.equal(win().focused, before + 1);
    // A malformed link only focuses the window.
    const loads = win().loaded.length;
    electron.app.emit('open-url', { preventDefault: () => undefined }, 'sophon://connection/..%2F..%2Fetc');
    assert.equal(win().loaded.length, loads);
    assert.ok(electron.app.protocolClients.includes('sophon'));
  });

  test('the preload bridge exposes exactly the operations and on(); a round trip reaches core and events come back', async () => {
    await import('../../../electron/preload/index');
    const bridge = electron.exposed.get('sophon') as Record<string, unknown> & {
      on: (event: string, fn: (payload: unknown) => void) => () => void;
    };
    assert.deepEqual(Object.keys(bridge).sort(), [...OPERATION_NAMES, 'on'].sort());
    assert.ok(Object.isFrozen(bridge));
    const info = await (bridge['session.info'] as (i: unknown) => Promise<Envelope>)({});
    assert.deepEqual(info, { ok: true, value: { userId: 'default', isAdmin: true } });
    assert.throws(() => bridge.on('ipc.anything', () => undefined), /Unknown event/);

    const seen: unknown[] = [];
    const unsubscribe = bridge.on('connections.changed', (payload) => seen.push(payload));
    assert.equal(electron.ipcRenderer.listeners.get('sophon:event:connections.changed')?.length, 1);

    // A change through IPC reaches the window as an event (and re-renders the tray).
    const services = await (bridge['services.list'] as (i: unknown) => Promise<Envelope<{ services: { id: string; authMethod: string; fields: { required: boolean; default: string | null }[] }[] }>>)({});
    assert.ok(services.ok);
    const service = services.value.services.find((s) => s.authMethod === 'api_key' && s.fields.every((f) => !f.required || f.default !== null))!;
    const added = await (bridge['connections.add'] as (i: unknown) => Promise<Envelope<{ connection: { id: string } }>>)({ serviceId: service.id, secret: 'ipc-secret-0123456789abcdef', test: false, label: 'Via IPC' });
    assert.ok(added.ok, JSON.stringify(added));
    await until('connections.changed sent to the window', () => win().webContents.sent.some((m) => m.channel === 'sophon:event:connections.changed' && JSON.stringify(m.payload).includes(added.value.connection.id)));
    const message = win().webContents.sent.find((m) => m.channel === 'sophon:event:connections.changed')!;
    for (const fn of electron.ipcRenderer.listeners.get('sophon:event:connections.changed') ?? []) fn({}, message.payload);
    assert.equal(seen.length, 1);
    assert.ok(!JSON.stringify(win().webContents.sent).includes('ipc-secret-0123456789abcdef'));
    unsubscribe();
    assert.equal(electron.ipcRenderer.listeners.get('sophon:event:connections.changed')?.length, 0);
    assert.ok(EVENT_NAMES.includes('connections.changed'));
  });

  test('the tray shows the state, lists connections needing attention, and Quit quits', async () => {
    const tray = electron.Tray.instances[0]!;
    assert.ok(tray.menu, 'a menu was set');
    const labels = tray.menu.template.map((i) => i.label ?? i.type);
    assert.ok(labels.includes('Quit Sophon'));
    assert.match(String((tray.image as { path: string }).path), /tray-ok\.png$/);
    // Nothing needs the person: no OS notification (which ones, once per event: test/unit/tray/attention.test.ts).
    assert.deepEqual(electron.Notification.shown, []);
    tray.menu.template.find((i) => i.label === 'Quit Sophon')!.click!();
    assert.equal(electron.app.quitCalls, 1);
  });
});
