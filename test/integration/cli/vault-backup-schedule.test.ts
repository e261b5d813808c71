import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { startDashboardProcess } from '../server/dashboard-process';

interface Run {
  outcome: 'written' | 'not_due' | 'unscheduled';
  summary: { file: string; connections: number } | null;
  removed: string[];
  schedule: { folder: string; keep: number; files: string[]; lastBackupAt: string | null } | null;
}
interface Plan {
  applied: boolean;
  connections: { id: string; action: string }[];
  connectors: { file: string; serviceId: string | null; action: string; note: string | null }[];
}

describe('issue #17: scheduled backups, and connector files that travel with a backup', async () => {
  const hex = randomBytes(6).toString('hex');
  const PASS = `schedule-pass-CANARY-${hex}`;
  const TOKEN = `tok-sched-${hex}-0123456789`;
  const api = await startUserApi(TOKEN);
  const source = await tempHome();
  const folder = await mkdtemp(join(tmpdir(), 'sophon-scheduled-'));
  afterAll(async () => {
    await api.close();
    await source.cleanup();
    await rm(folder, { recursive: true, force: true });
  });
  let connectionId = '';

  test('schedule with a passphrase; runs write a backup only when due and keep N; the passphrase is stored nowhere', async () => {
    await mkdir(join(source.home, 'connectors'));
    await writeFile(join(source.home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    const added = await sophon(['connect', 'add', 'localapi', '--secret-stdin', '--json'], { home: source.home, stdin: TOKEN });
    assert.equal(added.code, 0, added.stderr);
    connectionId = json<{ connection: { id: string } }>(added).connection.id;

    const unscheduled = await sophon(['vault', 'backup', '--run-scheduled', '--json'], { home: source.home });
    assert.equal(json<Run>(unscheduled).outcome, 'unscheduled');

    const set = await sophon(['vault', 'backup', '--schedule', folder, '--keep', '2', '--every', '24', '--passphrase-stdin', '--json'], { home: source.home, stdin: PASS });
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(json<{ schedule: { folder: string; keep: number; everyHours: number } }>(set).schedule.keep, 2);
    const settings = JSON.parse(await readFile(join(source.home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { Backup: Record<string, unknown> } };
    assert.equal(settings.Sophon.Backup.Folder, folder);
    assert.match(String(settings.Sophon.Backup.Salt), /^[A-Za-z0-9+/]{22}==$/);

    // Due at once (no backup yet); then not due until EveryHours have passed, unless forced.
    const first = json<Run>(await sophon(['vault', 'backup', '--run-scheduled', '--json'], { home: source.home }));
    assert.equal(first.outcome, 'written');
    assert.equal(first.summary?.connections, 1);
    assert.equal((await stat(first.summary!.file)).mode & 0o777, 0o600);
    const again = json<Run>(await sophon(['vault', 'backup', '--run-scheduled', '--json'], { home: source.home }));
    assert.equal(again.outcome, 'not_due');
    const removed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = json<Run>(await sophon(['vault', 'backup', '--run-scheduled', '--force', '--json'], { home: source.home }));
      assert.equal(run.outcome, 'written');
      removed.push(...run.removed);
    }
    const kept = (await readdir(folder)).sort();
    assert.equal(kept.length, 2, `keeps 2: ${kept.join(', ')}`);
    assert.equal(removed.length, 2);
    assert.ok(!kept.includes(removed[0]!) && removed.includes(first.summary!.file.split('/').pop()!), 'the oldest went first');
    // A file in the folder that is not a scheduled backup is never removed.
    await writeFile(join(folder, 'notes.txt'), 'mine');
    await sophon(['vault', 'backup', '--run-scheduled', '--force'], { home: source.home });
    assert.ok((await readdir(folder)).includes('notes.txt'));
    await rm(join(folder, 'notes.txt'));

    for (const f of await filesUnder(source.home)) {
      const text = (await readFile(f)).toString('latin1');
      assert.ok(!forms(PASS).some((x) => text.includes(x)), `the passphrase is in ${f}`);
    }
  });

  test('a scheduled backup restores with the passphrase alone into a fresh home, connector file and all', async () => {
    const target = await tempHome();
    try {
      const newest = (await readdir(folder)).sort().pop()!;
      const r = await sophon(['vault', 'restore', join(folder, newest), '--passphrase-stdin', '--yes', '--json'], { home: target.home, stdin: PASS });
      assert.equal(r.code, 0, r.stderr);
      const plan = json<Plan>(r);
      assert.equal(plan.applied, true);
      assert.deepEqual(plan.connectors.map((c) => [c.file, c.serviceId, c.action]), [['localapi.json', 'localapi', 'add']]);
      assert.equal(await readFile(join(target.home, 'connectors', 'localapi.json'), 'utf8'), userApiConnector('localapi', api.port));
      const t = await sophon(['connect', 'test', connectionId], { home: target.home });
      assert.equal(t.code, 0, t.stdout + t.stderr);
      // The schedule's own key stays with the machine that made it.
      assert.deepEqual(await readdir(join(target.home, 'vault', 'system')).catch(() => []), []);
      const wrong = await sophon(['vault', 'restore', join(folder, newest), '--passphrase-stdin', '--yes'], { home: target.home, stdin: `${PASS}x` });
      assert.equal(wrong.code, 6);
    } finally {
      await target.cleanup();
    }
  });

  test('a conflicting connector here is explained and kept, never overwritten silently; --replace takes the backup\'s', async () => {
    const target = await tempHome();
    try {
      const newest = join(folder, (await readdir(folder)).sort().pop()!);
      await mkdir(join(target.home, 'connectors'));
      const mine = userApiConnector('localapi', 1);
      await writeFile(join(target.home, 'connectors', 'localapi.json'), mine);
      // Another file defining the same service id would make the catalog drop both: never written.
      const other = await tempHome();
      await mkdir(join(other.home, 'connectors'));
      await writeFile(join(other.home, 'connectors', 'elsewhere.json'), mine);

      const dry = await sophon(['vault', 'restore', newest, '--passphrase-stdin', '--dry-run'], { home: target.home, stdin: PASS });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /keep connector localapi\.json \(localapi\) — connectors\/localapi\.json differs here: kept this machine's/);
      const merged = json<Plan>(await sophon(['vault', 'restore', newest, '--passphrase-stdin', '--yes', '--json'], { home: target.home, stdin: PASS }));
      assert.equal(merged.connectors[0]?.action, 'keep');
      assert.equal(await readFile(join(target.home, 'connectors', 'localapi.json'), 'utf8'), mine);

      const sameId = json<Plan>(await sophon(['vault', 'restore', newest, '--passphrase-stdin', '--yes', '--replace', '--json'], { home: other.home, stdin: PASS }));
      assert.equal(sameId.connectors[0]?.action, 'keep');
      assert.match(sameId.connectors[0]?.note ?? '', /already defined here by connectors\/elsewhere\.json/);
      assert.deepEqual((await readdir(join(other.home, 'connectors'))).sort(), ['elsewhere.json']);
      await other.cleanup();

      const replaced = json<Plan>(await sophon(['vault', 'restore', newest, '--passphrase-stdin', '--yes', '--replace', '--json'], { home: target.home, stdin: PASS }));
      assert.equal(replaced.connectors[0]?.action, 'replace');
      assert.equal(await readFile(join(target.home, 'connectors', 'localapi.json'), 'utf8'), userApiConnector('localapi', api.port));
    } finally {
      await target.cleanup();
    }
  });

  test('a running `sophon dashboard` writes the backup when it is due (its scheduler, not cron)', async () => {
    const other = await mkdtemp(join(tmpdir(), 'sophon-scheduled-dash-'));
    try {
      const set = await sophon(['vault', 'backup', '--schedule', other, '--keep', '3', '--passphrase-stdin'], { home: source.home, stdin: PASS });
      assert.equal(set.code, 0, set.stderr);
      const dashboard = await startDashboardProcess(source.home);
      try {
        // The scheduler checks once on start: the empty folder makes a backup due at once.
        for (let i = 0; i < 600 && (await readdir(other)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await dashboard.stop();
      }
      const files = await readdir(other);
      assert.equal(files.length, 1, 'one scheduled backup');
      assert.match(files[0]!, /^sophon-\d{8}T\d{9}Z\.backup$/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('--unschedule stops the schedule and removes its key; the backups stay', async () => {
    const r = await sophon(['vault', 'backup', '--unschedule'], { home: source.home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<Run>(await sophon(['vault', 'backup', '--run-scheduled', '--json'], { home: source.home })).outcome, 'unscheduled');
    assert.equal((await readdir(folder)).length, 2);
    assert.deepEqual(await readdir(join(source.home, 'vault', 'system')).catch(() => []), []);
  });
});
