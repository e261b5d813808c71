// The Vault page end to end (issue 17): back up a home through the page with a generated recovery phrase
// (the printable recovery kit, and what a print of the page shows), restore that backup into a fresh home
// through its own page (the preview first, then the restore), rotate that home's key, and verify its
// audit trail. Each home runs the real `sophon dashboard`; the restored connection is tested against a
// local HTTP API with the real CLI.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { encodings, openDashboardSession, screenshot, type DashboardSession } from './dashboard-helpers';

/** The browser's window as the page functions below use it (the test's own tsconfig has no DOM library). */
type Win = { getComputedStyle(e: unknown): { visibility: string; display: string } };

const KEY = `sk-vault-${randomBytes(18).toString('hex')}`;

test.describe('dashboard in Chromium: the Vault page backs up, restores into a fresh home, rotates the key, verifies the audit trail', () => {
  test.describe.configure({ mode: 'serial' });
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let source: Awaited<ReturnType<typeof tempHome>>;
  let target: Awaited<ReturnType<typeof tempHome>>;
  let folder = '';
  let connectionId = '';
  let phrase = '';
  let backupFile = '';
  let session: DashboardSession | undefined;

  test.beforeAll(async () => {
    api = await startUserApi(KEY, 'octo-vault');
    source = await tempHome();
    target = await tempHome();
    folder = await mkdtemp(join(tmpdir(), 'sophon-vault-page-'));
    await mkdir(join(source.home, 'connectors'));
    await writeFile(join(source.home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    const added = await sophon(['connect', 'add', 'localapi', '--secret-stdin', '--json'], { home: source.home, stdin: KEY });
    assert.equal(added.code, 0, added.stderr);
    connectionId = json<{ connection: { id: string } }>(added).connection.id;
  });
  test.afterAll(async () => {
    await session?.close();
    await api?.close();
    await source?.cleanup();
    await target?.cleanup();
    await rm(folder, { recursive: true, force: true });
  });

  const openVaultPage = async (page: Page) => {
    await page.getByRole('link', { name: 'Vault', exact: true }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Vault' }).waitFor();
    await page.getByTestId('vault-count').waitFor();
  };

  test('back up with a generated recovery phrase: shown once as a printable kit', async ({ browser }) => {
    session = await openDashboardSession(browser, source.home);
    const { page, dashboard } = session;
    await page.goto(dashboard.address);
    await openVaultPage(page);
    const card = page.getByRole('region', { name: 'Back up' });
    await card.getByLabel('Folder (absolute path)').fill(folder);
    await card.getByRole('button', { name: 'Back up now' }).click();
    const kit = page.getByTestId('recovery-kit');
    await kit.waitFor({ timeout: 60_000 });
    phrase = (await page.getByTestId('recovery-phrase').innerText()).trim();
    assert.match(phrase, /^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){7}$/);
    const files = await readdir(folder);
    assert.equal(files.length, 1);
    backupFile = join(folder, files[0]!);
    const kitText = await kit.innerText();
    assert.match(kitText, /Sophon recovery kit/);
    assert.ok(kitText.includes(backupFile), 'the kit names the backup file');
    assert.match(kitText, /Vault key id\s+[0-9a-f]{8,}/i);

    // Printed, the page is the kit alone: the navigation and the other cards are hidden.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('a.nav-link').first().evaluate((el) => (globalThis as unknown as Win).getComputedStyle(el).visibility), 'hidden');
    assert.equal(await page.getByTestId('recovery-phrase').evaluate((el) => (globalThis as unknown as Win).getComputedStyle(el).visibility), 'visible');
    assert.equal(await kit.locator('.no-print').evaluate((el) => (globalThis as unknown as Win).getComputedStyle(el).display), 'none');
    await screenshot(page, 'vault-recovery-kit-print');
    await page.emulateMedia({ media: 'screen' });

    // Shown once: dismissed, it is gone from the page.
    await kit.getByRole('button', { name: 'I have written it down' }).click();
    await page.getByRole('region', { name: 'Back up' }).waitFor();
    assert.equal(await page.getByTestId('recovery-phrase').count(), 0);
    // The only response that carried the phrase is the backup's own; the API key never left the core.
    await session.traffic.settle();
    const carrying = session.traffic.responses.filter((r) => r.body.includes(phrase));
    assert.deepEqual(carrying.map((r) => new URL(r.url).pathname), ['/api/vault.backup']);
    for (const r of session.traffic.responses) for (const form of encodings(KEY)) assert.ok(!r.body.includes(form), `the API key in ${r.url}`);
    await session.close();
    session = undefined;
  });

  test('restore into a fresh home through its page: a wrong phrase is refused, the preview lists the add, then the restore', async ({ browser }) => {
    session = await openDashboardSession(browser, target.home);
    const { page, dashboard } = session;
    await page.goto(dashboard.address);
    await openVaultPage(page);
    assert.equal(await page.getByTestId('vault-count').innerText(), '0');
    const card = page.getByRole('region', { name: 'Restore' });
    await card.getByLabel('Backup file (absolute path)').fill(backupFile);
    await card.getByLabel('Passphrase or recovery phrase').fill(phrase.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
    await card.getByRole('button', { name: 'Check backup' }).click();
    await card.getByText(/passphrase is wrong, or the file was altered/).waitFor({ timeout: 60_000 });

    await card.getByLabel('Passphrase or recovery phrase').fill(phrase.toLowerCase());
    await card.getByRole('button', { name: 'Check backup' }).click();
    const plan = card.getByTestId('restore-plan');
    await plan.waitFor({ timeout: 60_000 });
    const preview = await plan.innerText();
    assert.match(preview, /nothing is changed yet/);
    assert.match(preview, /add\s+.*\(localapi, default\)/i);
    assert.match(preview, /add\s+connector localapi\.json/i);
    assert.equal((await sophon(['connect', 'list', '--json'], { home: target.home })).stdout.includes(connectionId), false, 'the preview changed nothing');
    await screenshot(page, 'vault-restore-preview');
    await card.getByRole('button', { name: 'Restore (merge)' }).click();
    await card.getByTestId('restore-done').waitFor({ timeout: 60_000 });
    await page.getByTestId('vault-count').filter({ hasText: '1' }).waitFor();
    const t = await sophon(['connect', 'test', connectionId], { home: target.home });
    assert.equal(t.code, 0, t.stdout + t.stderr);
  });

  test('rotate the key from the page: a new key id, the connection still works; then the audit trail verifies', async () => {
    const { page } = session!;
    const before = json<{ keyProtector: { keyId: string } }>(await sophon(['vault', 'status', '--json'], { home: target.home })).keyProtector.keyId;
    const card = page.getByRole('region', { name: 'Rotate the key' });
    await card.getByRole('button', { name: 'Rotate key…' }).click();
    await card.getByRole('button', { name: 'Rotate now' }).click();
    const summary = card.getByTestId('rotate-summary');
    await summary.waitFor({ timeout: 60_000 });
    const after = json<{ keyProtector: { keyId: string }; key: { rotatedAt: string | null } }>(await sophon(['vault', 'status', '--json'], { home: target.home }));
    assert.notEqual(after.keyProtector.keyId, before);
    assert.ok(after.key.rotatedAt, 'the rotation date is recorded');
    assert.match(await summary.innerText(), new RegExp(`${before} → ${after.keyProtector.keyId}; [1-9]\\d* files? re-encrypted`));
    // The page shows the new key and when it was rotated.
    await page.locator('.facts').first().getByText(after.keyProtector.keyId).waitFor();
    await page.getByTestId('vault-key-age').filter({ hasText: 'rotated' }).waitFor();
    const t = await sophon(['connect', 'test', connectionId], { home: target.home });
    assert.equal(t.code, 0, t.stdout + t.stderr);

    await page.getByRole('button', { name: 'Verify audit trail' }).click();
    const trail = page.getByTestId('trail-summary');
    await trail.waitFor();
    assert.match(await trail.innerText(), /^Intact: \d+ rows? chained/);
    await screenshot(page, 'vault-after-rotation');
  });
});
