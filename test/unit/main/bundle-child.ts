// Runs the built main bundle (dist/electron/main/index.js, CommonJS, as Electron would) with the
// stand-in `electron` module (compiled to CommonJS at STAND_IN), and reports what it wired up as JSON.
import { existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';

const standIn = process.env.STAND_IN!;
const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = resolver._resolveFilename;
resolver._resolveFilename = (request, ...rest) => (request === 'electron' ? standIn : original(request, ...rest));

const require = createRequire(import.meta.url);
const electron = require(standIn) as typeof import('./electron-stand-in');
require(join(process.env.APP_DIST!, 'electron', 'main', 'index.js'));

const started = Date.now();
const timer = setInterval(async () => {
  if (electron.ipcMain.handlers.size === 0 || electron.BrowserWindow.instances.length === 0) {
    if (Date.now() - started > 15_000) {
      console.log(JSON.stringify({ error: 'nothing registered', dialogs: electron.dialog.errors }));
      process.exit(1);
    }
    return;
  }
  clearInterval(timer);
  const win = electron.BrowserWindow.instances[0]!;
  const index = await electron.protocol.handlers.get('app')!(new Request('app://sophon/index.html'));
  const icon = (electron.Tray.instances[0]!.image as { path: string }).path;
  console.log(
    JSON.stringify({
      channels: [...electron.ipcMain.handlers.keys()],
      loaded: win.loaded,
      preload: win.options.webPreferences?.preload,
      preloadExists: existsSync(String(win.options.webPreferences?.preload)),
      indexStatus: index.status,
      indexHasRoot: (await index.text()).includes('id="root"'),
      icon,
      iconExists: existsSync(icon),
      dialogs: electron.dialog.errors,
    }),
  );
  electron.app.emit('will-quit');
  process.exit(0);
}, 50);
