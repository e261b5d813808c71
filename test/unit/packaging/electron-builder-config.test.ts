import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);

/** electron-builder's own check of a configuration (its scheme.json, its ajv), as `electron-builder` runs it before building. */
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration: (config: unknown, debugLogger: { isEnabled: boolean }) => Promise<void>;
};

async function config(): Promise<Record<string, unknown>> {
  return parse(await readFile(`${ROOT}electron-builder.yml`, 'utf8')) as Record<string, unknown>;
}

describe('packaging configuration', () => {
  test('electron-builder.yml passes electron-builder\'s own schema validation', async () => {
    await validateConfiguration(await config(), { isEnabled: false });
  });

  test('the same validation refuses a misspelt option (so the check above can fail)', async () => {
    const c = await config();
    await assert.rejects(validateConfiguration({ ...c, linux: { ...(c.linux as object), targett: ['deb'] } }, { isEnabled: false }), /configuration\.linux/);
    await assert.rejects(validateConfiguration({ ...c, asarUnpak: ['x'] }, { isEnabled: false }), /asarUnpak/);
  });

  test('npm run dist is the packaging script', async () => {
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    assert.equal(pkg.scripts.dist, 'node scripts/dist.mjs');
    assert.ok(pkg.devDependencies['electron-builder'], 'electron-builder is a devDependency');
  });
});
