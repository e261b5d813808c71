// How the last scheduled backup went (issue #17): every run that writes or fails leaves
// SOPHON_HOME/backup-last-run.json, whichever process ran it; `--show-schedule`, `vault.backupSchedule`
// and `vault.runBackupSchedule` report it. The failing folder is a real read-only mount (tmpfs): the
// tests run as root, which ignores permission bits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createOperations } from '../../../electron/core/api/operations';
import { SCHEDULE_KEY_SECRET } from '../../../electron/core/backup/backup-format';
import { LAST_RUN_FILE } from '../../../electron/core/backup/last-run';
import { backupAttention, scheduledFileName, startBackupSchedule } from '../../../electron/core/backup/schedule';
import { createCore, type Core } from '../../../electron/core/sophon-core';
import { OPERATIONS } from '../../../shared/contract';
import type { BackupLastRun } from '../../../shared/backup-health';
import { forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs';

interface Shown {
  schedule: { folder: string; lastBackupAt: string | null } | null;
  lastRun: BackupLastRun | null;
  attention: 'failed' | 'overdue' | null;
}

describe('issue #17: scheduled backups say how they went', () => {
  const PASS = `last-run-pass-${randomBytes(6).toString('hex')}`;
  let home: Awaited<ReturnType<typeof tempHome>>;
  let disk: Tmpfs;
  let folder = '';
  let core: Core;
  const admin = { userId: 'default', isAdmin: true };
  const record = () => join(home.home, LAST_RUN_FILE);
  const show = async () => {
    const r = await sophon(['vault', 'backup', '--show-schedule'], { home: home.home });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const showJson = async () => json<Shown>(await sophon(['vault', 'backup', '--show-schedule', '--json'], { home: home.home }));

  beforeAll(async () => {
    home = await tempHome();
    disk = await mountTmpfs(4096);
    folder = join(disk.dir, 'backups');
    const added = await sophon(['connect', 'add', 'openai', '--secret-stdin', '--no-test'], { home: home.home, stdin: `sk-last-run-${randomBytes(12).toString('hex')}` });
    assert.equal(added.code, 0, added.stderr);
    const set = await sophon(['vault', 'backup', '--schedule', folder, '--keep', '2', '--every', '24', '--passphrase-stdin'], { home: home.home, stdin: PASS });
    assert.equal(set.code, 0, set.stderr);
    core = await createCore({ home: home.home });
  });
  afterAll(async () => {
    core?.close();
    disk?.readOnly(false);
    await disk?.cleanup();
    await home?.cleanup();
  });

  test('before any run: none recorded, said so', async () => {
    assert.match(await show(), /\nLast run: none recorded yet\.\n/);
    assert.deepEqual((await showJson()).lastRun, null);
  });

  test('a successful run (cron) records ok, the file, the process; 0600; no passphrase or key in it', async () => {
    const r = await sophon(['vault', 'backup', '--run-scheduled', '--json'], { home: home.home });
    assert.equal(r.code, 0, r.stderr);
    const file = json<{ summary: { file: string } }>(r).summary.file;
    const run = JSON.parse(await readFile(record(), 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ ...run, at: undefined }, { version: 1, status: 'ok', at: undefined, by: 'cli', trigger: 'schedule', file });
    assert.ok(Math.abs(Date.parse(String(run.at)) - Date.now()) < 60_000);
    assert.equal((await stat(record())).mode & 0o777, 0o600);
    const text = await readFile(record(), 'utf8');
    const key = (await core.systemSecrets.get(SCHEDULE_KEY_SECRET))!;
    for (const secret of [PASS, key]) assert.ok(!forms(secret).some((f) => text.includes(f)), 'a secret in the record');

    const shown = await show();
    assert.match(shown, new RegExp(`\\nLast run: ok at ${String(run.at)} \\(sophon vault backup --run-scheduled\\), wrote ${file}\\.\\n`));
    assert.equal((await showJson()).attention, null);
  });

  test('a failing run (read-only folder) records the error code and message and exits non-zero; --show-schedule says what to do', async () => {
    disk.readOnly(true);
    try {
      const r = await sophon(['vault', 'backup', '--run-scheduled', '--force'], { home: home.home });
      assert.notEqual(r.code, 0);
      const run = JSON.parse(await readFile(record(), 'utf8')) as { status: string; by: string; trigger: string; error: { code: string; message: string } };
      assert.deepEqual([run.status, run.by, run.trigger, run.error.code], ['failed', 'cli', 'run_now', 'storage_readonly']);
      assert.match(run.error.message, /read-only file system \(EROFS\)/);
      // The backup's own folder is the one to fix, not SOPHON_HOME.
      assert.match(run.error.message, /make it writable, or choose another folder for backups\.$/);
      assert.ok(run.error.message.includes(folder), run.error.message);
      assert.ok(r.stderr.includes(run.error.message.slice(0, 40)), 'the same error the command printed');

      const shown = await show();
      assert.match(shown, /\nLast run: FAILED at \S+ \(sophon vault backup --run-scheduled\): Cannot write .*\[storage_readonly\]\n/);
      assert.match(shown, /\nWhat to do: The backup folder cannot be written .* then run the backup again\. \(sophon vault backup --run-scheduled --force\)\n/);
      const seen = await showJson();
      assert.equal(seen.attention, 'failed');
      assert.equal(seen.lastRun?.status, 'failed');
      // The tray's view of it, through the same rule.
      assert.equal(await backupAttention(core), 'failed');
    } finally {
      disk.readOnly(false);
    }
  });

  test('vault.runBackupSchedule (Run now): admins only; a failure is answered with its record; fixed, it writes one and says so', async () => {
    const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
    await assert.rejects(ops['vault.runBackupSchedule']({ userId: 'bob', isAdmin: false }, {}), (err: Error & { code?: string }) => err.code === 'forbidden');

    disk.readOnly(true);
    let failedRun;
    try {
      failedRun = OPERATIONS['vault.runBackupSchedule'].output.parse(await ops['vault.runBackupSchedule'](admin, {}));
    } finally {
      disk.readOnly(false);
    }
    assert.equal(failedRun.lastRun?.status, 'failed');
    // This process is no Electron app: a door that serves the contract is `sophon dashboard`.
    assert.deepEqual(failedRun.lastRun?.status === 'failed' && [failedRun.lastRun.by, failedRun.lastRun.trigger, failedRun.lastRun.error.code], ['dashboard', 'run_now', 'storage_readonly']);

    const before = await readdir(folder);
    const done = OPERATIONS['vault.runBackupSchedule'].output.parse(await ops['vault.runBackupSchedule'](admin, {}));
    assert.equal(done.lastRun?.status, 'ok');
    const written = done.lastRun?.status === 'ok' ? done.lastRun.file : '';
    assert.ok(!before.includes(written.split('/').pop()!) && (await readdir(folder)).includes(written.split('/').pop()!));
    assert.equal(done.schedule?.files.length, 2, 'keeps 2');
    assert.equal(done.removed.length, 0);
    assert.deepEqual(OPERATIONS['vault.backupSchedule'].output.parse(await ops['vault.backupSchedule'](admin, {})).lastRun, done.lastRun);
    assert.equal(await backupAttention(core), null);

    // A third backup: the oldest goes, and the answer names it.
    const third = OPERATIONS['vault.runBackupSchedule'].output.parse(await ops['vault.runBackupSchedule'](admin, {}));
    assert.equal(third.removed.length, 1);
  });

  test('a damaged or foreign record is "unknown", named, never a crash; the next run writes it again', async () => {
    const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
    await writeFile(record(), '{"status": "ok", "at": ');
    assert.match(await show(), new RegExp(`\\nLast run: unknown: ${record()} is not valid JSON; the next scheduled backup writes it again\\.\\n`));
    await writeFile(record(), JSON.stringify({ version: 1, status: 'ok', at: 'yesterday', by: 'cron', trigger: 'schedule', file: '/x' }));
    const seen = OPERATIONS['vault.backupSchedule'].output.parse(await ops['vault.backupSchedule'](admin, {}));
    assert.equal(seen.lastRun?.status, 'unknown');
    assert.match(seen.lastRun?.status === 'unknown' ? seen.lastRun.problem : '', new RegExp(`^${record()} is not a backup run record \\(at: .*; by: .*\\)`));
    // Unknown is shown, not flagged: the folder still tells whether backups are being written.
    assert.equal((await showJson()).attention, null);
    await rm(record());
    await writeFile(record(), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    assert.equal((await showJson()).lastRun?.status, 'unknown');

    const r = await sophon(['vault', 'backup', '--run-scheduled', '--force'], { home: home.home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await showJson()).lastRun?.status, 'ok');
  });

  test('overdue: the newest scheduled backup is over three intervals old (due more than two intervals ago)', async () => {
    for (const name of await readdir(folder)) await rm(join(folder, name));
    await writeFile(join(folder, scheduledFileName(Date.now() - 4 * 24 * 3_600_000)), 'an old one');
    const seen = await showJson();
    assert.equal(seen.attention, 'overdue');
    assert.match(await show(), /\nOverdue: scheduled backups are overdue: the newest is more than 3 × 24 h old\. Is the app, sophon dashboard or cron running\?\n/);
    assert.equal(await backupAttention(core), 'overdue');
  });

  test('the running schedule tells its door at once of a failed run and of a written one (the app re-draws its tray then), not of a check with nothing due', async () => {
    const { readLastRun } = await import('../../../electron/core/backup/last-run');
    const heard: (BackupLastRun | null)[] = [];
    const run = async (expect: number) => {
      const stop = startBackupSchedule(core, 60_000, () => void readLastRun(home.home).then((r) => heard.push(r)));
      try {
        for (let i = 0; i < 200 && heard.length < expect; i++) await new Promise((r) => setTimeout(r, 25));
        // And nothing more: a check takes milliseconds (a settings read and a folder listing); a second is ample.
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        stop();
      }
      assert.equal(heard.length, expect);
    };
    // Due (the newest is days old, from the test above) into a read-only folder: heard, as failed.
    disk.readOnly(true);
    try {
      await run(1);
    } finally {
      disk.readOnly(false);
    }
    assert.equal(heard[0]?.status, 'failed');
    assert.match(heard[0]?.status === 'failed' ? heard[0].error.message : '', /or choose another folder for backups\.$/);
    // Writable again: written, heard as ok.
    await run(2);
    assert.equal(heard[1]?.status, 'ok');
    // Just written, so nothing is due: a check, not a run; nothing heard.
    await run(2);
  });

  test('a new schedule starts without the old one’s record', async () => {
    const set = await sophon(['vault', 'backup', '--schedule', join(disk.dir, 'other'), '--passphrase-stdin'], { home: home.home, stdin: PASS });
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await showJson()).lastRun, null);
  });

  test('a folder that cannot be listed (a file in its place): the schedule says why and counts as failed, before any run and after', async () => {
    const other = join(disk.dir, 'other');
    await rm(other, { recursive: true });
    await writeFile(other, 'not a folder');
    const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
    const seen = OPERATIONS['vault.backupSchedule'].output.parse(await ops['vault.backupSchedule'](admin, {}));
    assert.equal(seen.schedule?.folderProblem, `Cannot read the backup folder ${other} (ENOTDIR).`);
    assert.equal(seen.lastRun, null);
    assert.equal((await showJson()).attention, 'failed');
    assert.match(await show(), new RegExp(`\\nFolder: Cannot read the backup folder ${other} \\(ENOTDIR\\)\\. No scheduled backup can be written there`));
    const answered = OPERATIONS['vault.runBackupSchedule'].output.parse(await ops['vault.runBackupSchedule'](admin, {}));
    assert.deepEqual(answered.lastRun?.status === 'failed' && answered.lastRun.error, { code: 'invalid_input', message: `Cannot read the backup folder ${other} (ENOTDIR).` });
  });
});
