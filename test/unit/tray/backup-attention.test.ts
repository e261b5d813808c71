import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { backupAttentionOf, type BackupLastRun } from '../../../shared/backup-health';

const HOUR = 3_600_000;
const failed: BackupLastRun = { status: 'failed', at: '2026-12-01T00:00:00.000Z', by: 'cli', trigger: 'schedule', error: { code: 'storage_readonly', message: 'Cannot write …' } };
const ok: BackupLastRun = { status: 'ok', at: '2026-12-01T00:00:00.000Z', by: 'app', trigger: 'schedule', file: '/b/sophon-20261201T000000000Z.backup' };

describe('backupAttentionOf: the one rule the tray, the sidebar and --show-schedule use', () => {
  const now = Date.parse('2026-12-10T00:00:00.000Z');
  const schedule = (lastHoursAgo: number | null, everyHours = 24) => ({
    everyHours,
    lastBackupAt: lastHoursAgo === null ? null : new Date(now - lastHoursAgo * HOUR).toISOString(),
    nextDueAt: new Date(lastHoursAgo === null ? now : now - lastHoursAgo * HOUR + everyHours * HOUR).toISOString(),
  });

  test('no schedule: nothing, whatever an old record says', () => {
    assert.equal(backupAttentionOf(null, failed, now), null);
  });

  test('a failed last run is flagged; an ok or unreadable one is not', () => {
    assert.equal(backupAttentionOf(schedule(1), failed, now), 'failed');
    assert.equal(backupAttentionOf(schedule(1), ok, now), null);
    assert.equal(backupAttentionOf(schedule(1), { status: 'unknown', problem: 'damaged' }, now), null);
    assert.equal(backupAttentionOf(schedule(null), null, now), null);
    assert.equal(backupAttentionOf({ ...schedule(null), folderProblem: 'Cannot read the backup folder /b (ENOTDIR).' }, null, now), 'failed', 'a folder that cannot be listed fails every run');
  });

  test('overdue once the next backup was due more than two intervals ago (the newest is over three intervals old)', () => {
    assert.equal(backupAttentionOf(schedule(3 * 24), ok, now), null);
    assert.equal(backupAttentionOf(schedule(3 * 24 + 1), ok, now), 'overdue');
    assert.equal(backupAttentionOf(schedule(3 * 2 + 1, 2), null, now), 'overdue');
    // A failure says more than lateness.
    assert.equal(backupAttentionOf(schedule(100 * 24), failed, now), 'failed');
  });
});
