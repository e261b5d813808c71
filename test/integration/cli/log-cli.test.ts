import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

type Line = { level: number; event: string; pid: number };
const logOf = (home: string) => join(home, 'logs', 'sophon.log');
const linesOf = async (home: string): Promise<Line[]> => (await readFile(logOf(home), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

describe('the CLI and the log: --debug raises the level, sophon doctor says where the log is', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(() => cleanup());

  test('a command that fails nothing writes no log; with --debug (or SOPHON_LOG_LEVEL=debug) it writes debug lines to logs/sophon.log, 0600 in 0700', async () => {
    const quiet = await sophon(['audit', '--json'], { home });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(existsSync(logOf(home)), false, 'nothing logged at the default level');
    const debug = await sophon(['--debug', 'audit', '--json'], { home });
    assert.equal(debug.code, 0, debug.stderr);
    assert.equal((await stat(join(home, 'logs'))).mode & 0o777, 0o700);
    assert.equal((await stat(logOf(home))).mode & 0o777, 0o600);
    const first = await linesOf(home);
    assert.ok(first.some((l) => l.event === 'cli.core_opened' && l.level === 20), JSON.stringify(first));
    const env = await sophon(['audit', '--json'], { home, env: { SOPHON_LOG_LEVEL: 'debug' } });
    assert.equal(env.code, 0, env.stderr);
    assert.equal((await linesOf(home)).filter((l) => l.event === 'cli.core_opened').length, 2);
  });

  test('doctor: the data folder, the log file, the vault key reachable, the database opening (exit 0); --json', async () => {
    const r = await sophon(['doctor', '--json'], { home });
    assert.equal(r.code, 0, r.stderr);
    const report = json<{ home: string; log: { file: string; exists: boolean }; vault: { keyProtector: string; keyReachable: boolean }; database: { file: string; opens: boolean }; problems: string[] }>(r);
    assert.deepEqual(
      { home: report.home, log: report.log, protector: report.vault.keyProtector, reachable: report.vault.keyReachable, db: report.database, problems: report.problems },
      { home, log: { file: logOf(home), exists: true }, protector: 'file', reachable: true, db: { file: join(home, 'sophon.db'), opens: true }, problems: [] },
    );
    const words = await sophon(['doctor'], { home });
    assert.equal(words.code, 0, words.stderr);
    assert.match(words.stdout, new RegExp(`Log file\\s+${logOf(home).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  test('doctor on a damaged sophon.db: the database does not open, the problem names the file, exit 1', async () => {
    const broken = await tempHome();
    try {
      await writeFile(join(broken.home, 'sophon.db'), 'this is not a database '.repeat(200));
      const r = await sophon(['doctor', '--json'], { home: broken.home });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const report = json<{ database: { opens: boolean }; problems: string[]; log: { file: string } }>(r);
      assert.equal(report.database.opens, false);
      assert.match(report.problems.join('\n'), /sophon\.db/);
      assert.equal(report.log.file, logOf(broken.home));
    } finally {
      await broken.cleanup();
    }
  });
});
