// `npm run dist`: the desktop installers for this platform (Linux: AppImage and deb; macOS: dmg;
// Windows: NSIS), into release/. Builds the app (CLI, main + preload, renderer: scripts/build.mjs --app),
// then runs electron-builder with electron-builder.yml, packaging the Electron binary installed in
// node_modules/electron/dist (electronDist), so packaging downloads no second copy of Electron.
//
// Electron's binary comes from its install script, which this project does not run by default
// (package.json allowScripts: electron false). Without it this stops at once with one line saying so,
// before building anything. ELECTRON_OVERRIDE_DIST_PATH (Electron's own variable) points elsewhere.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
// The package as this project sees it (node_modules may be a symlink): messages name that path.
const electronPkg = existsSync(join(root, 'node_modules', 'electron', 'package.json')) ? join(root, 'node_modules', 'electron') : dirname(require.resolve('electron/package.json'));
const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(electronPkg, 'dist');
const pathTxt = join(electronPkg, 'path.txt');
const executable = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : null;

if (!existsSync(distDir) || (executable !== null && !existsSync(join(distDir, executable)))) {
  const version = JSON.parse(readFileSync(join(electronPkg, 'package.json'), 'utf8')).version;
  console.error(
    `dist: the Electron ${version} binary could not be fetched (${relative(root, distDir) || distDir} is missing): run \`node node_modules/electron/install.js\` where github.com (or ELECTRON_MIRROR) is reachable, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron ${version}, then npm run dist again.`,
  );
  process.exit(1);
}

const target = { linux: '--linux', darwin: '--mac', win32: '--win' }[process.platform];
if (!target) {
  console.error(`dist: electron-builder has no installer for this platform (${process.platform}); build on Linux, macOS or Windows.`);
  process.exit(1);
}

const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run([join(root, 'scripts', 'build.mjs'), '--app']);
run([require.resolve('electron-builder/cli.js'), target, '--config', 'electron-builder.yml', `-c.electronDist=${distDir}`, '--publish', 'never']);
