// Scheduled backups that fail are seen (issue #17): the real `sophon dashboard` runs the schedule on start
// into a folder on a read-only mount (tmpfs; the tests run as root, which ignores permission bits); the
// Vault page shows the failure and what to do, the sidebar flags the Vault link; the folder is made
// writable again, Run now writes a backup, and both show it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from '@playwright/test';
import { sophon } from '../helpers/cli';
import { tempHome } from '../helpers/home';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs';
import { encodings, openDashboardSession, screenshot, type DashboardSession } from './dashboard-helpers';

const PASS = `status-pass-${randomBytes(8).toString('hex')}`;
const KEY = `sk-status-${randomBytes(16).toString('hex')}`;

test.describe('dashboard in Chromium: a failing scheduled backup shows on the Vault page and in the sidebar; Run now after the fix', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let disk: Tmpfs;
  let folder = '';
  let session: DashboardSession | undefined;

  test.beforeAll(async () => {
    home = await tempHome();
    disk = await mountTmpfs(4096);
    folder = join(disk.dir, 'backups');
    const added = await sophon(['connect', 'add', 'openai', '--secret-stdin', '--no-test'], { home: home.home, stdin: KEY });
    assert.equal(added.code, 0, added.stderr);
    const set = await sophon(['vault', 'backup', '--schedule', folder, '--keep', '3', '--every', '24', '--passphrase-stdin'], { home: home.home, stdin: PASS });
    assert.equal(set.code, 0, set.stderr);
    disk.readOnly(true);
  });
  test.afterAll(async () => {
    await session?.close();
    disk?.readOnly(false);
    await disk?.cleanup();
    await home?.cleanup();
  });

  test('the failure and what to do, a flag on the Vault link; writable again, Run now succeeds and both clear', async ({ browser }) => {
    session = await openDashboardSession(browser, home.home);
    const { page, dashboard } = session;
    // The dashboard checks the schedule as it starts: nothing in the folder, so a backup is due, and fails.
    const record = join(home.home, 'backup-last-run.json');
    let run: { status?: string; by?: string } = {};
    for (let i = 0; i < 300 && run.status === undefined; i++) {
      run = await readFile(record, 'utf8').then((t) => JSON.parse(t) as typeof run, () => ({}));
      if (run.status === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([run.status, run.by], ['failed', 'dashboard']);

    await page.goto(dashboard.address);
    const flag = page.getByTestId('nav-flag');
    await flag.waitFor();
    assert.equal(await flag.getAttribute('aria-label'), 'The last scheduled backup failed');
    const vaultLink = page.getByRole('link', { name: 'Vault The last scheduled backup failed' });
    assert.equal(await vaultLink.count(), 1, 'the flag is part of the link’s name');
    await vaultLink.click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Vault' }).waitFor();

    const card = page.getByRole('region', { name: 'Scheduled backups' });
    const status = card.getByTestId('backup-last-run');
    const failure = status.getByRole('alert');
    await failure.waitFor();
    const text = await failure.innerText();
    assert.match(text, /The last scheduled backup failed \(.+, sophon dashboard\)\./);
    assert.match(text, /read-only file system \(EROFS\)/);
    assert.ok(text.includes(folder), text);
    assert.match(text, /The backup folder cannot be written .* then run the backup again\./);
    await screenshot(page, 'vault-backup-failed');

    // Fixed: the folder is writable again. Run now writes one at once, due or not.
    disk.readOnly(false);
    await card.getByRole('button', { name: 'Run now' }).click();
    const ok = status.locator('[data-state="ok"]');
    await ok.waitFor({ timeout: 60_000 });
    const files = await readdir(folder);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^sophon-\d{8}T\d{9}Z\.backup$/);
    assert.match(await ok.innerText(), new RegExp(`^Last run: written .+ by sophon dashboard, to ${join(folder, files[0]!)}\\.$`));
    assert.equal(await status.getByRole('alert').count(), 0);
    await flag.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Vault', exact: true }).waitFor();
    await screenshot(page, 'vault-backup-ok');

    // Neither the schedule's passphrase nor the API key ever reached the page.
    await session.traffic.settle();
    for (const r of session.traffic.responses) for (const secret of [PASS, KEY]) for (const form of encodings(secret)) assert.ok(!r.body.includes(form), `a secret in ${r.url}`);
  });
});
