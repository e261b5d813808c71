import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { toErrorInfo } from '../../../electron/core/api/dispatch';

test('REST/IPC: a damaged database is database_corrupt naming `sophon vault recover`, not "internal"', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-info-'));
  try {
    const file = join(dir, 'sophon.db');
    await writeFile(file, 'not a database at all, just some text that is long enough'.repeat(100));
    const db = new BetterSqlite3(file);
    const err = (() => {
      try {
        db.pragma('user_version');
      } catch (e) {
        return e;
      }
      return assert.fail('a garbage file opened as a database');
    })();
    db.close();
    const info = toErrorInfo(err);
    assert.equal(info.code, 'database_corrupt');
    assert.match(info.message, /^sophon\.db is damaged or not a Sophon database \(SQLITE_NOTADB\); run `sophon vault recover`/);

  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
