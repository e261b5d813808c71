import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell } from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Envelope, EventPayload } from '../../shared/contract';
import { eventChannel } from '../../shared/operations';
import { APP_CSP } from '../../shared/security';
import { dispatch, toErrorInfo } from '../core/api/dispatch';
import { EventHub, watchConnections } from '../core/api/events';
import { createOperations, type Caller } from '../core/api/operations';
import { startMaintenance } from '../core/connections/maintenance';
import { ConnectionChoices } from '../core/api/connection-choice';
import { startApprovalDesk } from '../core/mcp/approval-queue';
import { startStepDesk } from '../core/mcp/step-desk';
import { bridgeStoreQuestions } from '../core/mcp/store-questions';
import { pathCliLaunch } from '../core/mcp/launch';
import { createCore, type Core } from '../core/sophon-core';
import { appSenderCheck, registerIpc } from './ipc';
import { APP_ENTRY, APP_SCHEME, appFileFor, deepLinkInArgv, isAppUrl, parseDeepLink, windowOpenDecision } from './policy';
import { AppTray } from './tray';
import { buildTrayModel } from './tray-model';
import { AttentionNotifier } from './notifications';
import { createAppWindow } from './window';
import { configureLog, envLogLevel, log, logFailure } from '../core/log/log';

/**
 * The desktop app's main process: lifecycle, the window, the tray, deep links, and IPC over the shared
 * contract. Kept thin — every rule lives in electron/core (the same operations the REST server runs).
 * Paths are relative to this bundle (dist/electron/main/index.js) in a checkout and in the package.
 */
// The bundle is CommonJS (__filename: dist/electron/main/index.js); the IPC wiring test loads this file
// from the sources (electron/main/index.ts), whose built neighbours (preload, renderer) are under dist/.
const MODULE_FILE = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
const HERE = MODULE_FILE.endsWith('.ts') ? join(dirname(MODULE_FILE), '..', '..', 'dist', 'electron', 'main') : dirname(MODULE_FILE);
const RENDERER_DIR = join(HERE, '..', '..', 'renderer');
const PRELOAD = join(HERE, '..', 'preload', 'index.js');
const ICON_DIR = join(HERE, 'icons');
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2' };

// Before ready: app:// is a standard, secure scheme (its own origin, fetch allowed), so 'self' in the CSP means it.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const caller: Caller = { userId: process.env.SOPHON_USER ?? 'default', isAdmin: true };
let win: BrowserWindow | null = null;
let tray: AppTray | null = null;
let core: Core | undefined;
/** The broker's address once it listens (broker.mint answers it to agent runtimes). */
let brokerUrl: string | null = null;
let pendingRoute = parseDeepLink(deepLinkInArgv(process.argv) ?? '')?.route ?? '';
const stops: (() => void)[] = [];

function showWindow(route?: string): void {
  if (route !== undefined) pendingRoute = route;
  if (!win || win.isDestroyed()) {
    if (!app.isReady()) return;
    win = createAppWindow({ BrowserWindow, shell }, { preload: PRELOAD, entryUrl: APP_ENTRY + pendingRoute, icon: join(ICON_DIR, 'icon.png') });
    win.on('closed', () => (win = null));
    pendingRoute = '';
    return;
  }
  if (route) {
    // A fragment change: the renderer's router moves to the connection without reloading.
    void win.loadURL(APP_ENTRY + route);
    pendingRoute = '';
  }
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function openDeepLink(url: string | null): void {
  const link = url ? parseDeepLink(url) : null;
  showWindow(link?.route);
}

async function serveApp(request: Request): Promise<Response> {
  const file = appFileFor(RENDERER_DIR, request.url);
  if (!file) return new Response('Not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, { headers: { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': APP_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' } });
  } catch {
    return new Response(`Not found. Is the renderer built? (npm run build)`, { status: 404 });
  }
}

/**
 * The credential-brokering proxy runs for as long as the app does, so skills and agent runtimes reach
 * it without a terminal (`sophon broker serve` is the headless equivalent). Its port is
 * Sophon.Broker.Port, or a free one; the address is no secret and is printed for agent runtimes.
 */
async function startBroker(opened: Core): Promise<void> {
  const [{ broker, settings }, { startBrokerServer }] = await Promise.all([opened.createBroker({ userId: caller.userId }), import('../server/broker/server')]);
  const server = await startBrokerServer(broker, { port: settings.Port, maxRequestBytes: settings.MaxRequestBytes });
  brokerUrl = server.url;
  console.log(`Sophon broker listening on ${server.url}`);
  stops.push(() => void server.close());
}

async function start(): Promise<void> {
  // No page in the app may use the camera, notifications, etc.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  protocol.handle(APP_SCHEME, serveApp);

  const hub = new EventHub();
  let call: (name: Parameters<typeof dispatch>[2], input: unknown) => Promise<Envelope>;
  // `--debug` on the app's command line, or SOPHON_LOG_LEVEL, wins over Sophon.Log.Level.
  configureLog({ override: process.argv.includes('--debug') ? 'debug' : envLogLevel(process.env) });
  try {
    // A lost or emptied sophon.db is rebuilt from the vault files, which are never deleted for lack of a row.
    core = await createCore({ recoverOnStart: true });
    for (const warning of core.warnings) {
      console.warn(`Sophon: ${warning}`);
      log('warn', 'open.warning', { message: warning });
    }
    const opened = core;
    const watcher = watchConnections(opened, hub);
    stops.push(watcher.stop);
    // An MCP client that cannot ask the person (no elicitation) gets its writes approved here; `sophon mcp` runs
    // in the agent's process, and the question reaches this app through SOPHON_HOME/run.
    const approvals = startApprovalDesk({ home: opened.paths.home, users: () => hub.users(), emit: (userId, payload) => hub.emit(userId, 'agent.approval', payload) });
    stops.push(() => void approvals.stop());
    // `sophon mcp` asks "which connection?" (run/mcp-questions) and sends add / re-auth steps (run/mcp-steps, while
    // run/app.json says the app runs) here too, not only to `sophon dashboard`: the window comes up to ask.
    const choices = new ConnectionChoices({ announce: (userId, payload) => hub.emit(userId, 'connection.choose', payload) });
    stops.push(bridgeStoreQuestions(opened.paths.home, choices).stop);
    void startStepDesk({ home: opened.paths.home, userId: caller.userId, show: (route) => showWindow(route) }).then((steps) => stops.push(() => void steps.stop()), (e: unknown) => logFailure('mcp.step_desk_start_failed', e));
    const { mcpHttpControl } = await import('../server/mcp/http-control');
    const mcpHttp = mcpHttpControl(opened, app.getVersion());
    stops.push(() => void mcpHttp.close());
    const operations = createOperations({
      choices,
      core: opened,
      ownerUserId: caller.userId,
      emit: (userId, event, payload) => hub.emit(userId, event, payload),
      openExternal: async (url) => {
        if (windowOpenDecision(url) === 'external') await shell.openExternal(url);
      },
      changed: watcher.poke,
      brokerUrl: () => brokerUrl,
      approvals,
      mcpHttp,
      // The app's own binary cannot run scripts (no ELECTRON_RUN_AS_NODE): clients launch the `sophon` command.
      mcpLaunch: (userId) => pathCliLaunch({ home: process.env.SOPHON_HOME, userId }, process.env),
    });
    call = (name, input) => dispatch(operations, caller, name, input);
    const notifier = new AttentionNotifier((id) => showWindow(`#/connection/${id}`));
    const renderTray = async () => {
      const connections = await opened.connections.list(caller.userId);
      const now = Date.now();
      tray?.render(buildTrayModel(connections, { now, backup: await (await import('../core/backup/schedule')).backupAttention(opened, now) }));
      notifier.update(connections, now);
    };
    // "Expires soon" arrives with the clock, not with a change: looked at again every ten minutes.
    const attentionTimer = setInterval(() => void renderTray().catch((e: unknown) => logFailure('tray.render_failed', e)), 10 * 60_000);
    stops.push(() => clearInterval(attentionTimer));
    hub.subscribe(caller.userId, (event, payload) => {
      if (event === 'connections.changed') void renderTray();
      // A skill's call waits for the person to pick a connection: bring the window up to ask (a window
      // opened now lists the question through broker.questions).
      if (event === 'connection.choose' && (payload as EventPayload<'connection.choose'>).phase === 'open') showWindow();
      if (event === 'agent.approval' && (payload as EventPayload<'agent.approval'>).phase === 'open') showWindow();
      // Events go only to the app's own page.
      if (win && !win.isDestroyed() && isAppUrl(win.webContents.getURL())) win.webContents.send(eventChannel(event), payload);
    });
    watcher.poke();
    tray = new AppTray(ICON_DIR, (action) => (action.kind === 'quit' ? app.quit() : showWindow(action.kind === 'show-connection' ? `#/connection/${action.connectionId}` : action.kind === 'show-vault' ? '#/vault' : undefined)));
    await renderTray();
    // Keeps idle OAuth connections alive and re-tests API keys, so breakage shows before the agent needs them.
    stops.push(startMaintenance(opened));
    // Scheduled backups (Sophon.Backup), beside maintenance; loaded only when the app is up.
    void import('../core/backup/schedule').then(({ startBackupSchedule }) => stops.push(startBackupSchedule(opened, undefined, () => void renderTray().catch((e: unknown) => logFailure('tray.render_failed', e))))).catch((e: unknown) => logFailure('backup.schedule_start_failed', e));
    void import('../core/import/auto-import').then(({ autoImportOnStart }) => autoImportOnStart(opened, caller.userId)).catch((e: unknown) => logFailure('auto_import.failed', e));
    // A CLI re-logging in (or out) shows in the list at once, not at the next call.
    void import('../core/import/watch').then(async ({ watchImportedStores }) => stops.push(await watchImportedStores(opened, { userId: caller.userId }))).catch((e: unknown) => logFailure('import_watch.start_failed', e));
    await startBroker(opened);
    // Off unless the person turned it on (Agents page): a listening port is one more door.
    await mcpHttp.startIfEnabled();
  } catch (err) {
    const info = toErrorInfo(err);
    log('error', 'open.failed', { ...info });
    dialog.showErrorBox('Sophon cannot open its vault', info.message);
    call = async () => ({ ok: false, error: info });
    tray = new AppTray(ICON_DIR, (action) => (action.kind === 'quit' ? app.quit() : showWindow()));
    tray.render(buildTrayModel([], { loadError: info.message }));
  }
  registerIpc(ipcMain, (name, input) => call(name, input), appSenderCheck(() => (win && !win.isDestroyed() ? win.webContents : null)));
  showWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => openDeepLink(deepLinkInArgv(argv)));
  // macOS delivers deep links here (also before ready: the route waits for the window).
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openDeepLink(url);
  });
  app.setAsDefaultProtocolClient('sophon');
  void app.whenReady().then(start);
  app.on('activate', () => showWindow());
  app.on('will-quit', () => {
    for (const stop of stops) stop();
    tray?.destroy();
    core?.close();
  });
  // The tray keeps the app (and its maintenance) running when the window is closed; Quit is in its menu.
  app.on('window-all-closed', () => undefined);
}
