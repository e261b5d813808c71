// Issue #6 in the browser: a skill's broker.mint names only a service the person has two connections
// of; the open dashboard asks which one (a labelled modal, by keyboard), the person picks the second,
// and the minted token is honoured by `sophon broker serve` for that connection only. A cancel refuses
// the call. The real `sophon dashboard` and `sophon broker serve` processes, Debian's Chromium.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type Page } from '@playwright/test';
import type { Envelope, Out } from '../../shared/contract';
import { json, sophon } from '../helpers/cli';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { encodings, recordTraffic, screenshotBoth, openDashboardSession, type Dashboard, type DashboardSession } from './dashboard-helpers';
import { firstLine } from '../helpers/child';

const BIN = fileURLToPath(new URL('../../bin/sophon.mjs', import.meta.url));
const FIRST = `sk-first-${randomBytes(16).toString('hex')}`;
const SECOND = `sk-second-${randomBytes(16).toString('hex')}`;

test.describe('dashboard in Chromium: which connection a skill call uses is asked, never guessed', () => {
  test.describe.configure({ mode: 'serial' });
  let home = '';
  let cleanup: (() => Promise<void>) | undefined;
  // Only the second connection's key is valid here: a call through the broker proves which one it used.
  let api: Awaited<ReturnType<typeof startUserApi>>;
  let session: DashboardSession;
  let dashboard: Dashboard;
  let page: Page;
  let traffic: ReturnType<typeof recordTraffic>;
  let first = '';
  let second = '';

  test.beforeAll(async ({ browser }) => {
    ({ home, cleanup } = await tempHome());
    api = await startUserApi(SECOND, 'octo-second');
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
    const addFirst = await sophon(['connect', 'add', 'localapi', '--label', 'First', '--secret-stdin', '--no-test', '--json'], { home, stdin: `${FIRST}\n` });
    assert.equal(addFirst.code, 0, addFirst.stderr);
    first = json<{ connection: { id: string } }>(addFirst).connection.id;
    // Tested, so its account is known and shown in the dialog.
    const addSecond = await sophon(['connect', 'add', 'localapi', '--label', 'Second', '--secret-stdin', '--json'], { home, stdin: `${SECOND}\n` });
    assert.equal(addSecond.code, 0, addSecond.stderr);
    second = json<{ connection: { id: string } }>(addSecond).connection.id;
    session = await openDashboardSession(browser, home);
    ({ dashboard, page, traffic } = session);
  });
  test.afterAll(async () => {
    await session?.close();
    await api?.close();
    await cleanup?.();
  });

  /** broker.mint as a skill's runtime calls it: over REST with the person's token, naming only the service. */
  const mint = (skill: string): Promise<Envelope<Out<'broker.mint'>>> =>
    fetch(`${dashboard.origin}/api/broker.mint`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ skill, tool: 'summarize', service: 'localapi' }),
    }).then((r) => r.json() as Promise<Envelope<Out<'broker.mint'>>>);

  const dialog = () => page.getByRole('dialog', { name: /wants to use Local localapi/ });
  // A string, as this file is type-checked without the DOM's types.
  const focused = () =>
    page.evaluate(
      "(() => { const a = document.activeElement; return { type: a?.getAttribute('type') ?? null, text: a?.textContent ?? '', inDialog: !!a?.closest('dialog') }; })()",
    ) as Promise<{ type: string | null; text: string; inDialog: boolean }>;

  test('the open page is asked: skill, tool and both accounts named, focus inside; picking the second by keyboard mints a token for it', async () => {
    // The page's event stream must be open before the call, or there is nobody to ask (refused at once).
    const stream = page.waitForResponse((r) => r.url().endsWith('/api/events'));
    await page.goto(dashboard.address);
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    await stream;
    await page.getByRole('link', { name: 'Add connection' }).focus();

    const minting = mint('mail-digest');
    await dialog().waitFor();
    assert.equal(await dialog().getAttribute('aria-modal'), 'true');
    assert.equal(await page.getByRole('heading', { level: 2 }).filter({ hasText: 'which account?' }).innerText(), 'Skill mail-digest wants to use Local localapi for tool summarize — which account?');
    const radios = dialog().getByRole('radio');
    assert.equal(await radios.count(), 2);
    const options = await dialog().locator('.choose-option').allInnerTexts();
    assert.ok(options.some((o) => o.includes('First') && o.includes(first) && o.includes('Active')), options.join(' | '));
    assert.ok(options.some((o) => o.includes('Second') && o.includes('octo-second')), options.join(' | '));
    const f = await focused();
    assert.ok(f.inDialog && f.type === 'radio', `focus moved into the dialog: ${JSON.stringify(f)}`);
    assert.equal(await dialog().getByRole('button', { name: 'Use this account' }).isDisabled(), true, 'nothing is picked for the person');
    await screenshotBoth(page, '30-choose-connection');

    // Arrow keys move through the options; Tab reaches the button.
    const secondIndex = (await dialog().locator('.choose-option').allInnerTexts()).findIndex((o) => o.includes('Second'));
    const firstRadio = radios.nth(0);
    await firstRadio.focus();
    await page.keyboard.press('Space');
    for (let i = 0; i < secondIndex; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await radios.nth(secondIndex).isChecked(), true);
    await page.keyboard.press('Tab');
    assert.equal((await focused()).text, 'Use this account');
    await page.keyboard.press('Enter');

    const minted = await minting;
    assert.ok(minted.ok, JSON.stringify(minted));
    assert.deepEqual([minted.value.connectionId, minted.value.chosenBy], [second, 'person']);
    await dialog().waitFor({ state: 'detached' });
    assert.equal((await focused()).text, 'Add connection', 'focus is back where it was');

    // The token works through the broker in another process, for the second connection only.
    const serve = spawn(process.execPath, [BIN, 'broker', 'serve', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' } });
    try {
      const { url } = JSON.parse(await firstLine(serve)) as { url: string };
      const auth = { authorization: `Bearer ${minted.value.token}` };
      const res = await fetch(`${url}/v1/proxy/localapi/user`, { headers: auth });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { login: 'octo-second' });
      assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${SECOND}`, 'the second connection\'s key went out');
      assert.equal((await fetch(`${url}/v1/proxy/${first}/user`, { headers: auth })).status, 403, 'not bound to the first');
    } finally {
      serve.kill('SIGTERM');
      await new Promise((resolve) => (serve.exitCode === null ? serve.on('close', resolve) : resolve(null)));
    }
    const rows = json<{ rows: { action: string; outcome: string; connectionId: string | null }[] }>(await sophon(['audit', '--skill', 'mail-digest', '--json'], { home })).rows;
    assert.ok(rows.some((r) => r.action === 'broker_mint' && r.outcome === 'ok' && r.connectionId === second), JSON.stringify(rows));
    assert.ok(!rows.some((r) => r.action === 'broker_mint' && r.connectionId === first));
  });

  test('Cancel refuses the call; the dialog goes and focus returns', async () => {
    await page.getByRole('link', { name: 'Add connection' }).focus();
    const minting = mint('mail-cancel');
    await dialog().waitFor();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    const refused = await minting;
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'forbidden');
    assert.match(refused.error.message, /You declined: skill mail-cancel \(tool summarize\)/);
    await dialog().waitFor({ state: 'detached' });
    assert.equal((await focused()).text, 'Add connection');
  });

  test('Escape is a cancel too; no key ever reached the browser', async () => {
    const minting = mint('mail-escape');
    await dialog().waitFor();
    await page.keyboard.press('Escape');
    const refused = await minting;
    assert.ok(!refused.ok && refused.error.code === 'forbidden', JSON.stringify(refused));
    await dialog().waitFor({ state: 'detached' });
    await traffic.settle();
    const seen = [...traffic.responses.map((r) => r.body), ...traffic.requests].join('\n');
    for (const secret of [FIRST, SECOND]) for (const form of encodings(secret)) assert.ok(!seen.includes(form), 'no key in any response the page got');
    assert.ok(!dashboard.stderr().includes(SECOND));
  });
});
