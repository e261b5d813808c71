import { app, BrowserWindow, dialog, shell } from 'electron';
import { join } from 'node:path';
import { startMaintenance } from '../core/connections/maintenance';
import { openCore, type SophonCore } from '../core/sophon-core';

/**
 * The desktop app's main process: lifecycle and the window. Kept thin — every rule lives in
 * electron/core; the typed IPC over the shared contract and the tray come with the desktop UI.
 */
const RENDERER = join(__dirname, '..', '..', '..', 'renderer', 'index.html');

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    show: false,
    title: 'Sophon',
    webPreferences: {
      preload: join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  // Nothing navigates the app window away or opens new windows; http(s) links go to the system browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadFile(RENDERER);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.setAsDefaultProtocolClient('sophon');
  let core: SophonCore | undefined;
  let stopMaintenance: (() => void) | undefined;
  void app.whenReady().then(async () => {
    try {
      core = await openCore();
      // Keeps idle OAuth connections alive and re-tests API keys, so breakage shows before the agent needs them.
      stopMaintenance = startMaintenance(core);
    } catch (err) {
      dialog.showErrorBox('Sophon cannot open its vault', err instanceof Error ? err.message : String(err));
    }
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });
  app.on('will-quit', () => {
    stopMaintenance?.();
    core?.close();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
