// `npm start`: build the main and preload bundles, fetch Electron's binary on first start (installs skip
// that download so they work offline), then open the app.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(process.execPath, ['scripts/build.mjs', '--app']);
const electronDir = require.resolve('electron/package.json').replace(/package\.json$/, '');
if (!existsSync(`${electronDir}path.txt`)) {
  console.log('Fetching the Electron binary (first start)…');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  run(process.execPath, [`${electronDir}install.js`], env);
}
const electron = require('electron');
run(electron, ['.']);
