import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { build } from 'esbuild';
import { OPERATION_NAMES, operationChannel } from '../../../shared/operations';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { verifyChain } from '../../../electron/core/audit/chain-store';
import { verifyChainParallel, WORKER_BUNDLE } from '../../../electron/core/audit/parallel-verify';
import { openDatabase } from '../../../electron/core/db/database';
import { configureLog, logFilePath, resetLogForTests } from '../../../electron/core/log/log';
import { tempHome } from '../../helpers/home';

const CHILD = fileURLToPath(new URL('./bundle-child.ts', import.meta.url));
const STAND_IN_SOURCE = fileURLToPath(new URL('./electron-stand-in.ts', import.meta.url));

describe('the built app bundle (what npm start and the installers run)', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let standIn = '';
  let out = '';
  beforeAll(async () => {
    home = await tempHome();
    // The bundle require()s electron: give it the stand-in as CommonJS.
    standIn = join(home.home, 'electron-stand-in.cjs');
    await build({ entryPoints: [STAND_IN_SOURCE], outfile: standIn, bundle: true, format: 'cjs', platform: 'node', logLevel: 'warning' });
    // Built into a folder of its own (under node_modules, so the bundle finds the native modules as in
    // a checkout), never over dist/ while other tests use it; the renderer is the one npm test built.
    await mkdir(join('node_modules', '.cache'), { recursive: true });
    out = await mkdtemp(join('node_modules', '.cache', 'sophon-app-test-'));
    const built = spawnSync(process.execPath, ['scripts/build-app.mjs', out], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    await symlink(resolve('dist', 'renderer'), join(out, 'renderer'));
  });
  afterAll(async () => {
    await home?.cleanup();
    if (out) await rm(out, { recursive: true, force: true });
  });

  test('starts under CommonJS, wires every operation, and finds its preload, renderer and icons next to it', async () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], {
      encoding: 'utf8',
      env: { ...process.env, STAND_IN: standIn, APP_DIST: resolve(out), SOPHON_HOME: home.home, HOME: await mkdtemp(join(tmpdir(), 'sophon-bundle-home-')) },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      channels: string[];
      loaded: string[];
      preload: string;
      preloadExists: boolean;
      indexStatus: number;
      indexHasRoot: boolean;
      icon: string;
      iconExists: boolean;
      dialogs: string[][];
    };
    assert.deepEqual(report.dialogs, [], 'the core opened');
    assert.deepEqual(report.channels.sort(), OPERATION_NAMES.map(operationChannel).sort());
    assert.deepEqual(report.loaded, ['app://sophon/index.html']);
    assert.equal(report.preload, join(resolve(out), 'electron', 'preload', 'index.js'));
    assert.equal(report.preloadExists, true);
    assert.equal(report.indexStatus, 200, 'dist/renderer/index.html is served over app://');
    assert.equal(report.indexHasRoot, true);
    assert.equal(report.icon, join(resolve(out), 'electron', 'main', 'icons', 'tray-ok.png'));
    assert.equal(report.iconExists, true);
  });

  test("the app's audit verify worker sits beside its main bundle and checks a trail on threads as the CLI's does", async () => {
    const worker = join(resolve(out), 'electron', 'main', WORKER_BUNDLE);
    const db = await openDatabase(join(home.home, 'trail.db'));
    try {
      new AuditLog(db).recordMany(Array.from({ length: 3_000 }, (_, i) => ({ userId: 'u', action: 'broker_use', outcome: 'ok', connectionId: 'c', skill: 's', tool: 't', detail: `call #${i}`, at: 1_000 + i })));
      const serial = verifyChain(db, null);
      configureLog({ home: home.home, override: 'debug' });
      const threaded = await verifyChainParallel(db, null, { minIds: 0, partIds: 1_000, workers: 2, workerBundle: worker });
      assert.deepEqual(threaded, serial);
      // Every part was checked and joined on the workers (a worker that cannot start leaves them to the serial walk).
      const logged = (await readFile(logFilePath(home.home), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; joinedRows?: number });
      assert.equal(logged.filter((l) => l.event === 'audit.verify_parts').at(-1)?.joinedRows, 3_000);
    } finally {
      resetLogForTests();
      db.close();
    }
  });
});
