// `sophon oauth setup` and `sophon config get|set` as a person or a script runs them: the built CLI in
// its own process. The setup prints where and how to register, keeps the client secret in the vault only,
// and a connection then signs in with that client in Chromium against oidc-provider.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Connection } from '../../../shared/connections';
import { createCore } from '../../../electron/core/sophon-core';
import { oauthClientSecretName } from '../../../electron/core/vault/system-secrets';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { endSession, screenUntil, tmux } from '../../helpers/terminal';
import { loginAndConsent } from '../oauth/drive';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
const CLIENT_SECRET = 'cli-setup-client-secret-canary-0123456789';

describe('sophon config get|set', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const settingsFile = join(home, 'config', 'appsettings.json');

  test('get: the default, said to be one, with the settings file named', async () => {
    const r = await sophon(['config', 'get', 'Sophon.Broker.Port'], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Sophon.Broker.Port = 0');
    assert.match(r.stderr, new RegExp(`default; not in ${settingsFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  test('set: validated, written (0600, other keys kept), then read back as set', async () => {
    const r = await sophon(['config', 'set', 'Sophon.Broker.Port', '7421'], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Sophon.Broker.Port = 7421 \\(in ${settingsFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    const file = JSON.parse(await readFile(settingsFile, 'utf8')) as { Sophon: { Vault: { KeyProtector: string }; Broker: { Port: number } } };
    assert.deepEqual([file.Sophon.Broker.Port, file.Sophon.Vault.KeyProtector], [7421, 'file']);
    assert.equal((await stat(settingsFile)).mode & 0o777, 0o600);
    const got = json<{ value: number; set: boolean; settingsFile: string }>(await sophon(['config', 'get', 'Sophon.Broker.Port', '--json'], { home }));
    assert.deepEqual(got, { key: 'Sophon.Broker.Port', value: 7421, set: true, settingsFile });
    const level = await sophon(['config', 'set', 'Sophon.Log.Level', 'debug'], { home });
    assert.equal(level.code, 0, level.stderr);
  });

  test('a value the schema refuses, and an unknown key, are usage errors (exit 2) that change nothing', async () => {
    const before = await readFile(settingsFile, 'utf8');
    const bad = await sophon(['config', 'set', 'Sophon.Broker.Port', 'seventy'], { home });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /Sophon\.Broker\.Port was not changed: .*Broker\.Port/);
    const typo = await sophon(['config', 'set', 'Sophon.Brokr.Port', '1'], { home });
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /no setting Sophon\.Brokr; valid keys at Sophon: Vault, OAuth, Import, Log, Broker, Mcp/);
    const level = await sophon(['config', 'set', 'Sophon.Log.Level', 'loud'], { home });
    assert.equal(level.code, 2, level.stderr);
    assert.equal(await readFile(settingsFile, 'utf8'), before);
  });

  test('a secret is never a setting: refused with the command that keeps it in the vault', async () => {
    const r = await sophon(['config', 'set', 'Sophon.OAuth.gmail.ClientSecret', 'not-a-setting-0123'], { home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ClientSecret is a secret, not a setting: use `sophon oauth setup gmail --client-secret-stdin`/);
    const nested = await sophon(['config', 'set', 'Sophon.OAuth.gmail', '{"ClientId":"x","ClientSecret":"not-a-setting-0123"}'], { home });
    assert.equal(nested.code, 2, nested.stderr);
    assert.doesNotMatch(await readFile(settingsFile, 'utf8'), /not-a-setting/);
  });

  test('a broken settings file is a configuration problem (exit 7)', async () => {
    const { home: broken, cleanup: done } = await tempHome();
    try {
      await writeFile(join(broken, 'config', 'appsettings.json'), '{"Sophon": {"Broker": {"Port": "x"}}}');
      const r = await sophon(['config', 'set', 'Sophon.Log.Level', 'info'], { home: broken });
      assert.equal(r.code, 7, r.stderr);
    } finally {
      await done();
    }
  });
});

describe('sophon oauth setup', async () => {
  let server: TestOidcServer;
  let browser: Browser;
  const { home, cleanup } = await tempHome();

  beforeAll(async () => {
    server = await startOidcServer({ confidentialClient: { id: 'sophon-confidential', secret: CLIENT_SECRET } });
    browser = await launchBrowser();
    await mkdir(join(home, 'connectors'));
    // A service that names its endpoints (no issuer to register at) and needs a client secret.
    const connector = { ...server.service({ id: 'oidc', withIssuer: false, clientSecretRequired: true }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] };
    await writeFile(join(home, 'connectors', 'oidc.json'), JSON.stringify(connector));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await cleanup();
  });

  test('gmail: the console, the app type, what to enter and the scopes; without a terminal the client id must be given', async () => {
    const r = await sophon(['oauth', 'setup', 'gmail'], { home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /Open https:\/\/console\.cloud\.google\.com\/apis\/credentials/);
    assert.match(r.stdout, /Choose: .*"Desktop app"/);
    assert.match(r.stdout, /Redirect URI: nothing to enter/);
    assert.match(r.stdout, /Scopes: https:\/\/www\.googleapis\.com\/auth\/gmail\.readonly/);
    assert.match(r.stdout, /Client secret: needed/);
    assert.match(r.stdout, /Checked: .*developers\.google\.com\/identity\/protocols\/oauth2\/native-app/);
    assert.match(r.stderr, /--client-id/);
  });

  test('a service that needs a secret, none given without a terminal: exit 2, nothing saved', async () => {
    const r = await sophon(['oauth', 'setup', 'github', '--client-id', 'Iv1.0123'], { home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /Authorization callback URL|Redirect URI: http:\/\/127\.0\.0\.1\/callback/);
    assert.match(r.stderr, /--client-secret-stdin/);
    assert.doesNotMatch(await readFile(join(home, 'config', 'appsettings.json'), 'utf8'), /Iv1\.0123/);
  });

  test('on a terminal: the client id asked for, the secret asked for hidden (never echoed), then whether to sign in now', async () => {
    const session = `sophon-oauth-setup-${process.pid}`;
    const secret = 'typed-github-client-secret-0123456789';
    const cmd = `SOPHON_HOME=${home} NO_COLOR=1 ${process.execPath} ${BIN} oauth setup github; echo EXIT:$?; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd);
    try {
      await screenUntil(session, /Client id:/);
      tmux('send-keys', '-t', session, '-l', 'Iv1.typed0123');
      tmux('send-keys', '-t', session, 'Enter');
      await screenUntil(session, /Client secret:/);
      tmux('send-keys', '-t', session, '-l', secret);
      tmux('send-keys', '-t', session, 'Enter');
      await screenUntil(session, /Sign in to GitHub now\?/);
      tmux('send-keys', '-t', session, 'n');
      tmux('send-keys', '-t', session, 'Enter');
      const screen = await screenUntil(session, /EXIT:\d+/);
      assert.match(screen, /EXIT:0/, screen);
      assert.match(screen, /Saved: Sophon\.OAuth\.github\.ClientId/);
      assert.match(screen, /Next: sophon connect add github/);
      assert.ok(!screen.includes(secret) && !screen.includes(secret.slice(0, 12)), `the secret was echoed:\n${screen}`);
    } finally {
      endSession(session);
    }
    const settings = JSON.parse(await readFile(join(home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { OAuth: Record<string, unknown> } };
    assert.deepEqual(settings.Sophon.OAuth.github, { ClientId: 'Iv1.typed0123', ClientSecretInVault: true });
  });

  test('not OAuth, or not in the catalog: exit 2 and 3', async () => {
    assert.equal((await sophon(['oauth', 'setup', 'openai', '--client-id', 'x'], { home })).code, 2);
    assert.equal((await sophon(['oauth', 'setup', 'no-such-service', '--client-id', 'x'], { home })).code, 3);
  });

  test('--client-id and --client-secret-stdin: the id in the settings file, the secret in the vault only; the next step is named', async () => {
    const r = await sophon(['oauth', 'setup', 'oidc', '--client-id', 'sophon-confidential', '--client-secret-stdin'], { home, stdin: `${CLIENT_SECRET}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Redirect URI: http:\/\/127\.0\.0\.1\/callback/);
    assert.match(r.stdout, /Saved: Sophon\.OAuth\.oidc\.ClientId in .*appsettings\.json; the client secret is in the vault\./);
    assert.match(r.stderr, /Next: sophon connect add oidc/);
    const settings = JSON.parse(await readFile(join(home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { OAuth: Record<string, unknown> } };
    assert.deepEqual(settings.Sophon.OAuth.oidc, { ClientId: 'sophon-confidential', ClientSecretInVault: true });
    const core = await createCore({ home });
    try {
      assert.equal(await core.systemSecrets.get(oauthClientSecretName('oidc')), CLIENT_SECRET);
    } finally {
      core.close();
    }
  });

  /** `oauth setup … --sign-in --no-browser`, completed in Chromium from the address it prints. */
  async function setupAndSignIn(args: string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [BIN, ...args, '--sign-in', '--no-browser'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1', DISPLAY: ':0' } });
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin.end();
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /open this address in a browser:\n\s+(\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`exited before printing a sign-in address: ${stdout}${stderr}`)));
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
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  test('--sign-in goes straight on to the sign-in with the client just set up (its secret from the vault)', async () => {
    const r = await setupAndSignIn(['oauth', 'setup', 'oidc', '--client-id', 'sophon-confidential']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Connected Test OIDC as oidc-/);
    const list = json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home }));
    assert.deepEqual(list.connections.map((c) => [c.serviceId, c.state, c.account]), [['oidc', 'active', 'ada@example.test']]);
  });

  test('canary: the client secret is in no file of SOPHON_HOME (only sealed in the vault) and in no output', async () => {
    const leaks: string[] = [];
    for (const file of await filesUnder(home)) {
      const text = (await readFile(file)).toString('latin1');
      if (forms(CLIENT_SECRET).some((f) => text.includes(f))) leaks.push(file);
    }
    assert.deepEqual(leaks, []);
    const got = await sophon(['config', 'get', 'Sophon.OAuth'], { home });
    assert.equal(got.code, 0, got.stderr);
    assert.ok(!got.stdout.includes(CLIENT_SECRET));
    assert.match(got.stdout, /"ClientId": "sophon-confidential"/);
  });
});
