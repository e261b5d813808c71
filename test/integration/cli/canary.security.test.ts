import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { sophon, type CliResult } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { filesUnder, forms } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';

describe('canary: a secret never leaves the vault', async () => {
  const canary = `canary-${randomBytes(12).toString('hex')}`;
  const wrong = `canary-wrong-${randomBytes(12).toString('hex')}`;
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(canary);
  afterAll(async () => {
    await api.close();
    await cleanup();
  });

  test('not in any output of any command, nor in any file under SOPHON_HOME', async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'canary.json'), userApiConnector('canary', api.port));
    const results: CliResult[] = [];
    const run = async (args: string[], stdin?: string) => {
      const r = await sophon(args, { home, stdin });
      results.push(r);
      return r;
    };
    for (const json of [[], ['--json']]) {
      await run(['connect', 'add', 'canary', '--secret-stdin', '--label', `L${json.length}`, ...json], canary);
      await run(['connect', 'add', 'canary', '--secret-stdin', '--label', `W${json.length}`, ...json], wrong);
      await run(['connect', 'list', ...json]);
      await run(['connect', 'list', '--available', ...json]);
      await run(['connect', 'status', `L${json.length}`, ...json]);
      await run(['connect', 'test', `L${json.length}`, ...json]);
      await run(['connect', 'rename', `L${json.length}`, `R${json.length}`, ...json]);
      await run(['audit', ...json]);
      await run(['vault', 'status', ...json]);
      await run(['vault', 'verify', ...json]);
      await run(['--debug', 'connect', 'test', 'nope', ...json]);
      // Failing paths with the log at its most talkative: the wrong secret's test, a refresh that cannot be.
      await run(['--debug', 'connect', 'test', `W${json.length}`, ...json]);
      await run(['--debug', 'connect', 'refresh', `W${json.length}`, ...json]);
      await run(['--debug', 'doctor', ...json]);
    }
    assert.ok(results.filter((r) => r.code === 0).length >= 16, 'the commands ran');
    assert.ok(api.seen.some((s) => s.headers.authorization === `Bearer ${canary}`), 'the canary did reach its service');

    const files = await filesUnder(home);
    assert.ok(files.some((f) => f.endsWith('.vault')) && files.some((f) => f.endsWith('sophon.db')));
    assert.ok(files.some((f) => f.endsWith(join('logs', 'sophon.log'))), 'the log was written, and is searched below');
    for (const secret of [canary, wrong]) {
      for (const form of forms(secret)) {
        for (const r of results) {
          assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), `secret in output of a command: ${r.stdout.slice(0, 200)}`);
        }
        for (const f of files) {
          assert.ok(!(await readFile(f)).includes(form), `secret found in ${f}`);
        }
      }
    }
    for (const json of [[], ['--json']]) await run(['connect', 'remove', `R${json.length}`, '--yes', ...json]);
    for (const r of results.slice(-2)) assert.ok(!r.stdout.includes(canary) && !r.stderr.includes(canary));
  });
});
