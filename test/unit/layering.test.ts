import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, onTestFinished, test } from 'vitest';
import Database from 'better-sqlite3';
import { ESLint } from 'eslint';
import { ConnectionStore } from '../../electron/core/connections/connection-store';
import { createCore } from '../../electron/core/sophon-core';
import { LocalVaultBackend } from '../../electron/core/vault/local-vault';
import { tempHome } from '../helpers/home';

// The layering rule is what keeps `electron` out of core and Node out of the contract; prove it bites.
const eslint = new ESLint({ cwd: process.cwd() });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import layering', () => {
  test('core never imports electron, a door, or the renderer', async () => {
    assert.equal((await violations('electron/core/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).length, 1);
    assert.equal((await violations('electron/core/x.ts', "import { main } from '../cli/main';\nexport const a = main;\n")).length, 1);
    assert.deepEqual(await violations('electron/core/x.ts', "import { readFile } from 'node:fs/promises';\nexport const a = readFile;\n"), []);
  });

  test('shared imports neither Node nor electron', async () => {
    assert.equal((await violations('shared/x.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n")).length, 1);
    assert.equal((await violations('shared/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).length, 1);
    assert.deepEqual(await violations('shared/x.ts', "import { z } from 'zod';\nexport const a = z;\n"), []);
  });

  test('the CLI and the server never import electron; main may', async () => {
    assert.equal((await violations('electron/cli/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).length, 1);
    assert.equal((await violations('electron/server/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).length, 1);
    assert.deepEqual(await violations('electron/main/x.ts', "import { app } from 'electron';\nexport const a = app;\n"), []);
  });

  test('main never imports a door; its pure parts and the preload import no electron or core; zod-free contract parts stay zod-free', async () => {
    assert.equal((await violations('electron/main/x.ts', "import { startRestServer } from '../server/rest-server';\nexport const a = startRestServer;\n")).length, 1);
    assert.equal((await violations('electron/main/x.ts', "import { startDashboard } from '../server/dashboard';\nexport const a = startDashboard;\n")).length, 1);
    // The app hosts the broker proxy, as `sophon broker serve` does headless.
    assert.deepEqual(await violations('electron/main/x.ts', "import { startBrokerServer } from '../server/broker/server';\nexport const a = startBrokerServer;\n"), []);
    assert.equal((await violations('electron/main/tray-model.ts', "import { app } from 'electron';\nexport const a = app;\n")).length, 1);
    assert.equal((await violations('electron/preload/index.ts', "import { createCore } from '../core/sophon-core';\nexport const a = createCore;\n")).length, 1);
    assert.equal((await violations('electron/preload/index.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n")).length, 1);
    assert.deepEqual(await violations('electron/preload/index.ts', "import { ipcRenderer } from 'electron';\nimport { OPERATION_NAMES } from '../../shared/operations';\nexport const a = [ipcRenderer, OPERATION_NAMES];\n"), []);
    assert.equal((await violations('shared/client.ts', "import { OPERATIONS } from './contract';\nexport const a = OPERATIONS;\n")).length, 1);
    assert.deepEqual(await violations('shared/client.ts', "import type { SophonApi } from './contract';\nexport type A = SophonApi;\n"), []);
  });

  test('the renderer reaches only the contract', async () => {
    assert.equal((await violations('renderer/x.ts', "import { createCore } from '../electron/core/sophon-core';\nexport const a = createCore;\n")).length, 1);
    assert.equal((await violations('renderer/x.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n")).length, 1);
  });

  test('focused and skipped tests are lint errors', async () => {
    // Spelled in pieces so the repository's own grep for focused tests does not flag this file.
    const [only, skip, fixme] = ['only', 'skip', 'fixme'];
    const syntaxErrors = async (filePath: string, code: string) => {
      const [r] = await eslint.lintText(code, { filePath });
      return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.line);
    };
    // vitest: test.only, describe.skip, it.skip and a skip option, each flagged on its own line.
    const vitest = [
      "import { describe, it, test } from 'vitest';",
      `test.${only}('x', () => {});`,
      `describe.${skip}('d', () => {});`,
      `it.${skip}('y', () => {});`,
      `test('z', { ${skip}: true }, () => {});`,
      "test('fine', () => {});",
    ].join('\n');
    assert.deepEqual(await syntaxErrors('test/unit/x.test.ts', vitest), [2, 3, 4, 5]);
    // Playwright: test.only, test.skip, test.fixme, test.describe.only, test.describe.skip, test.describe.serial.only.
    const playwright = [
      "import { test } from '@playwright/test';",
      `test.${only}('x', async () => {});`,
      `test.${skip}('y', async () => {});`,
      `test.${fixme}('z', async () => {});`,
      `test.describe.${only}('d', () => {});`,
      `test.describe.${skip}('e', () => {});`,
      `test.describe.serial.${only}('f', () => {});`,
      "test.describe('fine', () => { test.describe.configure({ mode: 'serial' }); test('ok', async () => {}); });",
    ].join('\n');
    assert.deepEqual(await syntaxErrors('test/e2e/x.test.ts', playwright), [2, 3, 4, 5, 6, 7]);
  });

  test('tests import vitest or @playwright/test, never node:test', async () => {
    const [r] = await eslint.lintText("import { test } from 'node:test';\ntest('x', () => {});\n", { filePath: 'test/e2e/x.test.ts' });
    const messages = (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /vitest .*@playwright\/test/);
    assert.deepEqual(await violations('test/unit/x.test.ts', "import { test } from 'vitest';\ntest('x', () => {});\n"), []);
  });
});

/** Every TypeScript file under a folder, with its path from the repository root. */
function sources(dir: string): { file: string; text: string }[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** Where SQL may be written: a store module (`*-store.ts`) or the database module itself (opening, migrations). */
const isStore = (file: string): boolean => basename(file).endsWith('-store.ts') || file.startsWith(join('electron', 'core', 'db') + '/');

// A statement prepared on a database handle; a class's own method that happens to be called prepare (`this.prepare(`) is not SQL.
const PREPARE = /(?<!\bthis)\.prepare\(/;

describe('composition', () => {
  test('SQL is prepared only in store modules', () => {
    const outside = sources('electron')
      .filter((s) => PREPARE.test(s.text) && !isStore(s.file))
      .map((s) => s.file);
    assert.deepEqual(outside, []);
    // The gate sees a statement prepared anywhere else, and lets a store's through.
    assert.equal(PREPARE.test("const rows = core.db.prepare('SELECT 1').all();"), true);
    assert.equal(isStore('electron/core/api/operations.ts'), false);
    assert.equal(isStore('electron/core/audit/audit-store.ts'), true);
  });

  test('no door reaches the composition\'s parts: composeCore is for tests only', () => {
    const users = sources('electron')
      .filter((s) => /\bcomposeCore\b/.test(s.text) && s.file !== join('electron', 'core', 'sophon-core.ts'))
      .map((s) => s.file);
    assert.deepEqual(users, []);
  });

  test('the created core exposes services only: no database, store or vault backend', async () => {
    const { home, cleanup } = await tempHome();
    const core = await createCore({ home, env: {} });
    onTestFinished(async () => {
      core.close();
      await cleanup();
    });
    for (const name of ['db', 'store', 'vault', 'auditHead']) assert.equal(name in core, false, `core.${name} is exposed`);
    for (const [name, value] of Object.entries(core)) {
      const raw = value instanceof Database || value instanceof ConnectionStore || value instanceof LocalVaultBackend;
      assert.equal(raw, false, `core.${name} is a raw storage handle`);
    }
  });
});
