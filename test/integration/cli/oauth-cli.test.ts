import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, onTestFinished, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Connection } from '../../../shared/connections';
import { openVault } from '../../../electron/core/vault/open-vault';
import { createCore } from '../../../electron/core/sophon-core';
import { runMaintenance } from '../../../electron/core/connections/maintenance';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { PUBLIC_CLIENT, startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { loginAndConsent } from '../oauth/drive';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

describe('OAuth through the CLI: connect in Chromium, refresh, revoke at the server, needs re-auth, reauth, remove', async () => {
  let server: TestOidcServer;
  let browser: Browser;
  const { home, cleanup } = await tempHome();

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 3 });
    browser = await launchBrowser();
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: PUBLIC_CLIENT } } } }));
    await mkdir(join(home, 'connectors'));
    // Exactly as a person would add their own OAuth service: a connector file.
    const connector = { ...server.service({ id: 'oidc' }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] };
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify(connector));
  });
  let serverClosed = false;
  afterAll(async () => {
    await browser?.close();
    if (!serverClosed) await server?.close();
    await cleanup();
  });

  /** Runs a sign-in command and completes it in the browser from the address the CLI prints. */
  async function signInVia(args: string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [BIN, ...args, '--no-browser'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1', DISPLAY: ':0' } });
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /(?:visit|open this address in a browser):\n\s+(\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`exited before printing a sign-in address: ${stderr}`)));
      });
      const { context, page } = await freshPage(browser);
      try {
        await page.goto(url);
        await loginAndConsent(page, { login: 'ada' });
        return { code: await exited, stdout, stderr };
      } finally {
        await context.close();
      }
    } finally {
      // A failed step must not leave a CLI waiting for its redirect (it would hold the test run open).
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  let id = '';
  test('add: consent in the browser, tokens in the vault, the account and granted scopes shown', async () => {
    const r = await signInVia(['connect', 'add', 'oidc', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { connection, test: t } = json<{ connection: Connection; test: { status: string } }>(r);
    id = connection.id;
    assert.equal(t.status, 'ok');
    assert.equal(connection.state, 'active');
    assert.ok(connection.scopes.includes('openid'));
    assert.ok(connection.expiresAt);
    assert.equal(connection.secretHint, null);
  });

  test('the scheduler refreshes a token about to expire, and one unused for a day', async () => {
    const core = await createCore({ home });
    const before = server.tokenRequests('refresh_token');
    assert.deepEqual((await runMaintenance(core, { aheadMs: 60_000 })).refreshed, [id], 'the 3-second token is refreshed ahead');
    assert.deepEqual((await runMaintenance(core, { aheadMs: 0 })).refreshed, [], 'a just-refreshed, recently used connection is left alone');
    assert.deepEqual((await runMaintenance(core, { now: Date.now() + 25 * 3_600_000 })).refreshed, [id], 'idle for a day');
    assert.equal(server.tokenRequests('refresh_token'), before + 2, 'each decision reached the server');
    core.close();
  });

  /** The connection's refresh rows in the audit trail, newest first. */
  const refreshRows = async () =>
    json<{ rows: { action: string; outcome: string; detail: string | null }[] }>(await sophon(['audit', '--connection', id, '--limit', '1000', '--json'], { home })).rows.filter((r) => r.action === 'refresh');

  test('a manual refresh gets a new token at once, fresh or not, and is audited', async () => {
    const before = server.tokenRequests('refresh_token');
    const rows = (await refreshRows()).length;
    const r = await sophon(['connect', 'refresh', id], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.tokenRequests('refresh_token'), before + 1);
    const after = await refreshRows();
    assert.equal(after.length, rows + 1);
    assert.deepEqual(after[0], { ...after[0], outcome: 'ok', detail: 'refreshed on schedule or by hand' });
  });

  test('the vault file from before a refresh, put back: refused as vault_file_rolled_back (exit 6) by verify, refresh and test', async () => {
    const file = join(home, 'vault', `default_${id}.vault`);
    const older = await readFile(file);
    assert.equal((await sophon(['connect', 'refresh', id], { home })).code, 0);
    const current = await readFile(file);
    await writeFile(file, older);
    const v = await sophon(['vault', 'verify', '--json'], { home });
    assert.equal(v.code, 6);
    assert.deepEqual(json<{ failures: { connectionId: string; code: string }[] }>(v).failures.map((f) => [f.connectionId, f.code]), [[id, 'vault_file_rolled_back']]);
    for (const args of [['connect', 'refresh', id], ['connect', 'test', id]]) {
      const r = await sophon(args, { home });
      assert.equal(r.code, 6, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /older than the one Sophon last wrote/);
    }
    assert.equal(json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).state, 'error');
    // The newer file back: verify passes, and a passing test makes the connection active again.
    await writeFile(file, current);
    assert.equal((await sophon(['vault', 'verify'], { home })).code, 0);
    assert.equal((await sophon(['connect', 'test', id], { home })).code, 0);
    assert.equal(json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).state, 'active');
  });

  test('a refresh the token endpoint keeps failing is audited as failed, naming the failure, and leaves the connection active', async () => {
    server.failTokenRequests(4, { status: 503, error: 'temporarily_unavailable', grantType: 'refresh_token' });
    const r = await sophon(['connect', 'refresh', id], { home });
    assert.notEqual(r.code, 0, r.stdout);
    const [row] = await refreshRows();
    assert.equal(row!.outcome, 'failed');
    assert.match(row!.detail ?? '', /HTTP 503/);
    const cred = (await (await openVault({ home })).vault.get('default', id))!;
    for (const secret of [cred.accessToken, cred.refreshToken]) assert.ok(secret && !JSON.stringify(row).includes(secret));
    assert.equal(json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).state, 'active');
    // The failure is in the log too: error level, its code and message, the connection; no token.
    const log = await readFile(join(home, 'logs', 'sophon.log'), 'utf8');
    const failed = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'refresh.failed');
    assert.ok(failed.some((l) => l.level === 50 && l.connectionId === id && /HTTP 503/.test(String(l.message)) && typeof l.code === 'string'), log);
    for (const secret of [cred.accessToken, cred.refreshToken]) assert.ok(secret && !log.includes(secret), 'no token in the log');
  });

  test('the scheduler\'s refresh against a failing token endpoint is logged as a background failure, without a token', async () => {
    server.failTokenRequests(4, { status: 503, error: 'temporarily_unavailable', grantType: 'refresh_token' });
    const core = await createCore({ home });
    const report = await runMaintenance(core, { now: Date.now() + 25 * 3_600_000 });
    core.close();
    assert.deepEqual(report.failed.map((f) => f.id), [id]);
    const log = await readFile(join(home, 'logs', 'sophon.log'), 'utf8');
    const lines = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.event === 'maintenance.refresh_failed' && l.level === 50 && l.connectionId === id), log);
    const cred = (await (await openVault({ home })).vault.get('default', id))!;
    for (const secret of [cred.accessToken, cred.refreshToken]) assert.ok(secret && !log.includes(secret), 'no token in the log');
  });

  test('an expired access token is refreshed by the next call, once, and the rotated refresh token replaces the old', async () => {
    const before = server.tokenRequests('refresh_token');
    const old = (await (await openVault({ home })).vault.get('default', id))!.refreshToken;
    await new Promise((r) => setTimeout(r, 3500));
    const t = await sophon(['connect', 'test', id, '--json'], { home });
    assert.equal(t.code, 0, t.stderr);
    assert.equal(server.tokenRequests('refresh_token'), before + 1);
    const rotated = (await (await openVault({ home })).vault.get('default', id))!.refreshToken;
    assert.ok(rotated && rotated !== old, 'the server rotated the refresh token and the vault holds the new one');
    assert.equal((await refreshRows())[0]!.detail, 'refreshed on use');
    const reuse = await fetch(`${server.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: old!, client_id: PUBLIC_CLIENT }) });
    assert.equal(reuse.status, 400, 'the old refresh token is dead at the server (and its reuse revokes the grant)');
  });

  test('revoked at the server: the connection flips to needs re-auth, with the reason', async () => {
    const { vault } = await openVault({ home });
    const cred = await vault.get('default', id);
    const res = await fetch(`${server.issuer}/token/revocation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: cred!.refreshToken!, client_id: PUBLIC_CLIENT }) });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 3500));
    const t = await sophon(['connect', 'test', id], { home });
    assert.equal(t.code, 4, t.stdout + t.stderr);
    const s = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home }));
    assert.equal(s.state, 'needs_reauth');
    assert.ok(s.stateReason);
  });

  test('with re-auth needed, a call gives up after its bound with a clear message', async () => {
    const core = await createCore({ home });
    await assert.rejects(core.connections.accessToken('default', id, { waitMs: 300, pollMs: 50 }), /needs you to sign in again .*connect reauth/);
    core.close();
  });

  test('a call held while re-auth is needed completes once the person re-authenticates in another process', async () => {
    const label = json<Connection>(await sophon(['connect', 'status', id, '--json'], { home })).label;
    const core = await createCore({ home });
    let settled = false;
    const held = core.connections.accessToken('default', id, { waitMs: 60_000, pollMs: 100 }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(settled, false, 'the call waits instead of failing');
    const r = await signInVia(['connect', 'reauth', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const token = await held;
    assert.equal(token, (await core.credentials.read({ userId: 'default', connectionId: id }))?.accessToken, 'the held call got the new token');
    core.close();
    const c = json<Connection>(r);
    assert.deepEqual([c.id, c.label, c.state], [id, label, 'active']);
    assert.equal((await sophon(['connect', 'test', id], { home })).code, 0);
  });

  test('--device: the CLI prints a code and address; approved on another device, the connection is made', async () => {
    const child = spawn(process.execPath, [BIN, 'connect', 'add', 'oidc', '--device', '--label', 'Device', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' } });
    // Whatever fails below, the CLI must not be left polling for its device code.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const [, uri, code] = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /visit (\S+) and enter the code (\S+)/.exec(stderr);
        if (m) resolve(m);
      });
      child.on('close', () => reject(new Error(`no device code printed: ${stderr}`)));
    });
    const { context, page } = await freshPage(browser);
    await page.goto(uri!);
    await page.locator('input[name=user_code]').fill(code!);
    await page.locator('button[form="op.deviceInputForm"]').click();
    await page.locator('button[autofocus][form="op.deviceConfirmForm"]').click();
    await loginAndConsent(page, { login: 'dev' });
    const exit = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    await context.close();
    assert.equal(exit, 0, stderr);
    const added = json<{ connection: Connection }>({ code: exit, stdout, stderr });
    assert.equal(added.connection.label, 'Device');
    assert.equal(added.connection.state, 'active');
    assert.equal((await sophon(['connect', 'remove', added.connection.id, '--yes'], { home })).code, 0);
  });

  test('remove revokes at the server (RFC 7009), then deletes', async () => {
    const { vault } = await openVault({ home });
    const cred = await vault.get('default', id);
    const r = await sophon(['connect', 'remove', id, '--yes', '--json'], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<{ revocation: string }>(r).revocation, 'revoked');
    const refresh = await fetch(`${server.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred!.refreshToken!, client_id: PUBLIC_CLIENT }) });
    assert.equal(refresh.status, 400, 'the refresh token no longer works at the server');
    const rows = json<{ rows: { action: string }[] }>(await sophon(['audit', '--connection', id, '--json'], { home })).rows.map((x) => x.action);
    for (const action of ['add', 'reauth', 'revoke', 'remove']) assert.ok(rows.includes(action), `${action} in ${rows}`);
  });

  test('a service with no client id configured: one line naming the setting (exit 7)', async () => {
    const r = await sophon(['connect', 'add', 'gmail', '--no-browser'], { home });
    assert.equal(r.code, 7);
    assert.match(r.stderr, /^sophon: Sophon\.OAuth\.gmail\.ClientId is not set in .*appsettings\.json/);
  });

  test('a revocation that fails is reported, and the removal still completes', async () => {
    const added = await signInVia(['connect', 'add', 'oidc', '--label', 'Doomed', '--json', '--no-test']);
    assert.equal(added.code, 0, added.stderr);
    const doomed = json<{ connection: Connection }>(added).connection.id;
    await server.close();
    serverClosed = true;
    const r = await sophon(['connect', 'remove', doomed, '--yes', '--json'], { home });
    assert.equal(r.code, 0, r.stderr);
    const result = json<{ revocation: string; revocationMessage: string }>(r);
    assert.equal(result.revocation, 'failed');
    assert.ok(result.revocationMessage);
    assert.equal((await sophon(['connect', 'status', doomed], { home })).code, 3, 'removed locally all the same');
  });
});
