import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { backupAttentionOf, type BackupLastRun } from '../../../shared/backup-health';
import { buildTrayModel, TRAY_MAX_LISTED } from '../../../electron/main/tray-model';

const conn = (id: string, state: Connection['state']): Connection => ({
  id,
  userId: 'default',
  serviceId: 'gmail',
  serviceName: 'GMAIL',
  label: id,
  authMethod: 'oauth2',
  scopes: [],
  state,
  stateReason: state === 'active' ? null : 'why',
  account: null,
  secretHint: null,
  fields: {},
  createdAt: '2026-11-25T00:00:00.000Z',
  lastUsedAt: null,
  expiresAt: null,
  lastTest: null,
});

const labels = (m: ReturnType<typeof buildTrayModel>) => m.items.map((i) => (i.type === 'separator' ? '---' : i.label));
const HOUR = 3_600_000;
const failed: BackupLastRun = { status: 'failed', at: '2026-12-01T00:00:00.000Z', by: 'cli', trigger: 'schedule', error: { code: 'storage_readonly', message: 'Cannot write …' } };
const ok: BackupLastRun = { status: 'ok', at: '2026-12-01T00:00:00.000Z', by: 'app', trigger: 'schedule', file: '/b/sophon-20261201T000000000Z.backup' };

describe('tray model: scheduled backups', () => {
  test('a failed last run: amber icon, said in the tooltip, an item that opens the Vault page', () => {
    const m = buildTrayModel([conn('a', 'active')], { backup: 'failed' });
    assert.equal(m.state, 'needs_reauth');
    assert.equal(m.tooltip, 'Sophon: the last scheduled backup failed');
    assert.deepEqual(labels(m), ['Needs attention:', 'Scheduled backup failed — open the Vault page', '---', 'Open Sophon', 'Quit Sophon']);
    const item = m.items[1]!;
    assert.deepEqual(item.type === 'normal' && [item.enabled, item.action], [true, { kind: 'show-vault' }]);
  });

  test('overdue, after the connections that need attention; a connection error still makes the icon red', () => {
    const m = buildTrayModel([conn('broken', 'error'), conn('fine', 'active')], { backup: 'overdue' });
    assert.equal(m.state, 'error');
    assert.equal(m.tooltip, 'Sophon: 1 connection has an error; scheduled backups are overdue');
    assert.deepEqual(labels(m).slice(0, 3), ['Needs attention:', 'broken (GMAIL) — error', 'Scheduled backups are overdue — open the Vault page']);
  });

  test('never cut off by the limit on listed connections', () => {
    const many = Array.from({ length: TRAY_MAX_LISTED + 2 }, (_, i) => conn(`c${String(i).padStart(2, '0')}`, 'needs_reauth'));
    const m = buildTrayModel(many, { backup: 'failed' });
    assert.ok(labels(m).includes('…and 2 more'));
    assert.equal(labels(m).filter((l) => l.startsWith('Scheduled backup failed')).length, 1);
  });

  test('nothing to say about backups: the model is as before', () => {
    assert.deepEqual(buildTrayModel([conn('a', 'active')], { backup: null }), buildTrayModel([conn('a', 'active')]));
  });
});

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
  });

  test('overdue once the next backup was due more than two intervals ago (the newest is over three intervals old)', () => {
    assert.equal(backupAttentionOf(schedule(3 * 24), ok, now), null);
    assert.equal(backupAttentionOf(schedule(3 * 24 + 1), ok, now), 'overdue');
    assert.equal(backupAttentionOf(schedule(3 * 2 + 1, 2), null, now), 'overdue');
    // A failure says more than lateness.
    assert.equal(backupAttentionOf(schedule(100 * 24), failed, now), 'failed');
  });
});
