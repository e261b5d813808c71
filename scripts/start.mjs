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
  const fetched = spawnSync(process.execPath, [`${electronDir}install.js`], { stdio: ['inherit', 'inherit', 'pipe'], env });
  if (fetched.status !== 0) {
    const reason = fetched.stderr.toString().split('\n').find((l) => /Error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(l)) ?? 'unknown error';
    console.error(`Could not fetch Electron's binary (${reason.trim()}). It needs the network once; the sophon CLI works without it.`);
    process.exit(1);
  }
}
const electron = require('electron');
run(electron, ['.']);
