import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function dist(env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.mjs')], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { ...r, ms: Date.now() - started };
}

const ONE_LINE = /^dist: the Electron \d+\.\d+\.\d+ binary could not be fetched \(.+ is missing\): run `node node_modules\/electron\/install\.js` .*then npm run dist again\.\n$/;

describe('npm run dist without Electron\'s binary', () => {
  test('stops at once, exit 1, with one line saying the binary could not be fetched and how to get it; nothing built', () => {
    // Electron's own variable for where its binary is: pointed at nothing, so this holds on any machine
    // (on this one node_modules/electron/dist is absent anyway: install scripts are off).
    const r = dist({ ELECTRON_OVERRIDE_DIST_PATH: join(ROOT, 'no-such-electron-dist') });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, ONE_LINE);
    assert.match(r.stderr, /no-such-electron-dist is missing/);
    assert.ok(r.ms < 10_000, `it stopped before building (${r.ms} ms)`);
  });
});
