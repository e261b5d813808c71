import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'vitest';
import { parse } from 'yaml';

interface BuilderConfig {
  files: string[];
  extraMetadata: { main: string };
  npmRebuild: boolean;
  buildDependenciesFromSource: boolean;
  asar: boolean;
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  protocols: { schemes: string[] }[];
  win: { target: string[] };
  mac: { target: string[] };
  linux: { target: string[] };
  deb: { depends: string[] };
}

describe('electron-builder.yml', () => {
  test('installers for every platform, native modules rebuilt for Electron and unpacked, the app hardened', async () => {
    const config = parse(await readFile('electron-builder.yml', 'utf8')) as BuilderConfig;
    assert.deepEqual(config.win.target, ['nsis']);
    assert.deepEqual(config.mac.target, ['dmg']);
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
    assert.equal(config.npmRebuild, true);
    assert.equal(config.buildDependenciesFromSource, true);
    assert.equal(config.asar, true);
    for (const native of ['keytar', 'better-sqlite3']) assert.ok(config.asarUnpack.some((p) => p.includes(`node_modules/${native}/`)), native);
    assert.ok(config.files.includes('dist/**'));
    assert.equal(config.electronFuses.runAsNode, false);
    assert.equal(config.electronFuses.onlyLoadAppFromAsar, true);
    assert.deepEqual(config.protocols[0]?.schemes, ['sophon']);
    assert.ok(config.deb.depends.includes('libsecret-1-0'));
  });

  test('the packaged entry point is the main bundle scripts/build.mjs --app writes, as package.json says', async () => {
    const config = parse(await readFile('electron-builder.yml', 'utf8')) as BuilderConfig;
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { main: string };
    const build = await readFile('scripts/build.mjs', 'utf8');
    const buildApp = await readFile('scripts/build-app.mjs', 'utf8');
    assert.equal(config.extraMetadata.main, pkg.main);
    assert.equal(pkg.main, 'dist/electron/main/index.js');
    assert.ok(build.includes("buildApp('dist'"), 'build.mjs --app builds the app into dist/');
    assert.ok(buildApp.includes('outfile: `${out}/electron/main/index.js`'), 'where package.json points');
    assert.ok(buildApp.includes('outfile: `${out}/electron/preload/index.js`'));
  });
});
