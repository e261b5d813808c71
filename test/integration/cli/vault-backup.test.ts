import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { builtinEntries } from '../../../electron/core/catalog/catalog';
import { createCore, type Core } from '../../../electron/core/sophon-core';
import { freshPage, launchBrowser } from '../../helpers/browser';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { cliStores, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';
import { startUserApi } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { startDovecot, startSmtp } from '../../helpers/mail';
import { startOidcServer, type TestOidcServer } from '../../helpers/oidc-server';
import { bearerService, catalogOf } from '../../helpers/services';
import { browserOpener } from '../oauth/drive';

const CONFIDENTIAL = 'sophon-confidential';

interface RestoreJson {
  applied: boolean;
  connections: { id: string; action: string; note: string | null; linked: boolean; label: string }[];
  systemSecrets: { name: string; action: string }[];
  oauthClients: { serviceId: string; action: string }[];
}

/** Every file under a home with a hash of its content: "nothing changed" is this map being equal. */
async function snapshot(home: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await filesUnder(home)) out[relative(home, f)] = createHash('sha256').update(await readFile(f)).digest('hex');
  return out;
}

describe('issue #17: vault backup and restore (built CLI), into a home with another key protector', async () => {
  const hex = randomBytes(6).toString('hex');
  const PASS = `backup-pass-CANARY-${hex}`;
  const TOKEN = fakeToken('tok-api-');
  const GH = fakeToken('gho_');
  const CLIENT_SECRET = `client-secret-CANARY-${hex}`;
  const mailUser = { username: 'alice', password: `canary-mail-${hex}` };
  const KEYCHAIN = `sophon-test-backup-${hex}`;
  const secrets = [PASS, TOKEN, GH, CLIENT_SECRET, mailUser.password];

  const api = await startUserApi(TOKEN);
  const ghApi = await startUserApi(GH, 'octocat');
  const stores = await cliStores();
  await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: GH } }));
  const source = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, OAuth: { oidc: { ClientId: CONFIDENTIAL, ClientSecret: CLIENT_SECRET } } } });
  // The new machine: the OS keychain (another service name), no key file, no client secret.
  const target = await tempHome({ Sophon: { Vault: { KeyProtector: 'keychain' } } });
  const outDir = await mkdtemp(join(tmpdir(), 'sophon-backup-out-'));
  const backupFile = join(outDir, 'vault.sophon-backup');
  const targetEnv = { ...stores.env, SOPHON_KEYCHAIN_SERVICE: KEYCHAIN };
  let server: TestOidcServer;
  let browser: Browser;
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const outputs: CliResult[] = [];
  const run = async (home: string, args: string[], stdin?: string, env: NodeJS.ProcessEnv = stores.env) => {
    const r = await sophon(args, { home, stdin, env });
    outputs.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 60, confidentialClient: { id: CONFIDENTIAL, secret: CLIENT_SECRET } });
    browser = await launchBrowser();
    [dovecot, smtp] = await Promise.all([startDovecot(mailUser), startSmtp(mailUser)]);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.close(), dovecot?.stop(), smtp?.stop(), api.close(), ghApi.close()]);
    const keytar = (await import('keytar')).default;
    for (const c of await keytar.findCredentials(KEYCHAIN)) await keytar.deletePassword(KEYCHAIN, c.account);
    await Promise.all([source.cleanup(), target.cleanup(), stores.cleanup(), rm(outDir, { recursive: true, force: true })]);
  });

  // The local services stand in for the real ones (the built-in github-pat pointed at the local API).
  const catalog = () =>
    catalogOf(
      bearerService('localapi', api.url),
      { ...server.service({ id: 'oidc', clientSecretRequired: true }), attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }] },
      { ...bearerService('github-pat', ghApi.url), name: 'GitHub (personal access token)' },
      builtinEntries().find((e) => e.service.id === 'email')!.service,
    );
  const open = (home: string, env: NodeJS.ProcessEnv): Promise<Core> => createCore({ home, env: { ...process.env, ...env }, catalog: catalog() });

  const ids: Record<'api' | 'oauth' | 'mail' | 'gh', string> = { api: '', oauth: '', mail: '', gh: '' };

  test('a home with an API-key, an OAuth, a mail and an imported (linked gh) connection is backed up under a passphrase', async () => {
    const core = await open(source.home, stores.env);
    try {
      ids.api = (await core.connections.add('default', { serviceId: 'localapi', secret: TOKEN })).connection.id;
      const { context, page } = await freshPage(browser);
      try {
        const opener = browserOpener(page, { login: 'ada' });
        ids.oauth = (await core.connections.add('default', { serviceId: 'oidc', label: 'Ada', test: false, oauth: { openUrl: opener.openUrl, timeoutMs: 60_000 } })).connection.id;
        await opener.done;
      } finally {
        await context.close();
      }
      const fields = { smtpHost: '127.0.0.1', smtpPort: String(smtp.port), smtpTls: 'none', imapHost: '127.0.0.1', imapPort: String(dovecot.imapPort), imapTls: 'none', username: 'alice' };
      ids.mail = (await core.connections.add('default', { serviceId: 'email', label: 'Mail', secret: mailUser.password, fields })).connection.id;
      const imports = await core.imports();
      const scan = await imports.scan('default', ['gh']);
      ids.gh = (await imports.import('default', scan, ['gh:github.com:octocat'])).imported[0]!.connectionId;
      assert.equal(await core.systemSecrets.get('oauth-client-oidc'), CLIENT_SECRET);
    } finally {
      core.close();
    }

    const short = await run(source.home, ['vault', 'backup', '--out', join(outDir, 'short'), '--passphrase-stdin'], 'too short');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /passphrase is too short: use at least 12 characters/);

    const r = await run(source.home, ['vault', 'backup', '--out', backupFile, '--passphrase-stdin', '--json'], PASS);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), { file: backupFile, connections: 4, linked: 1, systemSecrets: 1, bytes: (await readFile(backupFile)).length });
    assert.equal(((await import('node:fs')).statSync(backupFile).mode & 0o777), 0o600);
    const again = await run(source.home, ['vault', 'backup', '--out', backupFile, '--passphrase-stdin'], PASS);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; Sophon does not overwrite/);
  });

  test('a wrong passphrase, and a flipped byte in the header, the body or the tag: refused with exit 6, nothing changed', async () => {
    const before = await snapshot(target.home);
    const wrong = await run(target.home, ['vault', 'restore', backupFile, '--passphrase-stdin'], 'not the passphrase at all', targetEnv);
    assert.equal(wrong.code, 6, wrong.stderr);
    assert.match(wrong.stderr, /could not be opened: the passphrase is wrong, or the file was altered or damaged\. Nothing was changed\./);
    const data = await readFile(backupFile);
    for (const at of [4, 20, 60, Math.floor(data.length / 2), data.length - 1]) {
      const bad = Buffer.from(data);
      bad[at]! ^= 0x01;
      const file = join(outDir, `flipped-${at}`);
      await writeFile(file, bad);
      const r = await run(target.home, ['vault', 'restore', file, '--passphrase-stdin'], PASS, targetEnv);
      assert.equal(r.code, 6, `byte ${at}: ${r.stderr}`);
      assert.match(r.stderr, /Nothing was changed\./);
    }
    assert.deepEqual(await snapshot(target.home), before, 'the target home is untouched');
    assert.deepEqual((await (await import('keytar')).default.findCredentials(KEYCHAIN)).length, 0, 'no key was made in the keychain');
  });

  test('restore shows what it adds, re-encrypts under this machine\'s keychain key, and every connection works against the local services', async () => {
    const dry = await run(target.home, ['vault', 'restore', backupFile, '--passphrase-stdin', '--dry-run'], PASS, targetEnv);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`add default/${ids.gh}: .*imported CLI login, linked: .*the same CLI must be signed in on this machine`));
    assert.match(dry.stdout, /add system secret oauth-client-oidc/);
    assert.match(dry.stdout, /Dry run: nothing was changed\./);

    const r = await run(target.home, ['vault', 'restore', backupFile, '--passphrase-stdin', '--json'], PASS, targetEnv);
    assert.equal(r.code, 0, r.stderr);
    const report = json<RestoreJson>(r);
    assert.equal(report.applied, true);
    assert.deepEqual(report.connections.map((c) => [c.id, c.action]).sort(), Object.values(ids).map((id) => [id, 'add']).sort());
    assert.deepEqual(report.oauthClients.map((c) => [c.serviceId, c.action]), [['oidc', 'add']]);

    const core = await open(target.home, targetEnv);
    try {
      assert.equal(core.protector.kind, 'keychain');
      assert.equal((await core.verifyVault()).ok, 3);
      for (const [what, id] of Object.entries(ids)) {
        const t = await core.connections.test('default', id);
        assert.equal(t.outcome.status, 'ok', `${what}: ${t.outcome.message}`);
      }
      assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(ghApi.seen.at(-1)?.headers.authorization, `Bearer ${GH}`);
      // The restored client secret authenticates a real refresh of the restored grant (a confidential client).
      const refreshes = server.tokenRequests('refresh_token');
      await core.refresh({ userId: 'default', connectionId: ids.oauth }, { force: true });
      assert.equal(server.tokenRequests('refresh_token'), refreshes + 1);
      assert.equal((await core.connections.test('default', ids.oauth)).outcome.status, 'ok');
      assert.ok(core.audit.query({ userId: 'default' }).some((row) => row.action === 'restore' && row.connectionId === ids.mail));
    } finally {
      core.close();
    }
    const settings = JSON.parse(await readFile(join(target.home, 'config', 'appsettings.json'), 'utf8')) as { Sophon: { OAuth: Record<string, unknown> } };
    assert.deepEqual(settings.Sophon.OAuth.oidc, { ClientId: CONFIDENTIAL, ClientSecretInVault: true });
  });

  test('a conflict by id is explained and keeps this machine\'s copy; --replace takes the backup\'s, and it still works', async () => {
    const before = await snapshot(target.home);
    const merge = await run(target.home, ['vault', 'restore', backupFile, '--passphrase-stdin'], PASS, targetEnv);
    assert.equal(merge.code, 0, merge.stderr);
    assert.match(merge.stdout, new RegExp(`keep default/${ids.api}: .*a connection with this id is already here \\("Test localapi \\(octo-test\\)", localapi\\): kept this machine's \\(restore with --replace to take the backup's\\)`));
    assert.match(merge.stdout, /Nothing to restore/);
    const mergeJson = await run(target.home, ['vault', 'restore', backupFile, '--passphrase-stdin', '--json'], PASS, targetEnv);
    assert.equal(mergeJson.code, 0, mergeJson.stderr);
    const kept = json<RestoreJson>(mergeJson);
    assert.equal(kept.applied, false);
    assert.deepEqual(kept.connections.map((c) => c.action), ['keep', 'keep', 'keep', 'keep']);
    assert.deepEqual(await snapshot(target.home), before);

    const replace = await run(target.home, ['vault', 'restore', backupFile, '--passphrase-stdin', '--replace', '--json'], PASS, targetEnv);
    assert.equal(replace.code, 0, replace.stderr);
    const report = json<RestoreJson>(replace);
    assert.deepEqual(report.connections.map((c) => c.action), ['replace', 'replace', 'replace', 'replace']);
    assert.ok(report.connections.every((c) => /replaced by the backup's copy/.test(c.note ?? '')), JSON.stringify(report.connections));
    const core = await open(target.home, targetEnv);
    try {
      const verify = await core.verifyVault();
      assert.deepEqual([verify.ok, verify.failures.length, verify.unlisted.length, verify.strays.length], [3, 0, 0, 0]);
      assert.equal((await core.connections.list('default')).length, 4);
      assert.equal((await core.connections.test('default', ids.api)).outcome.status, 'ok');
    } finally {
      core.close();
    }
  });

  test('canary: the passphrase and the secrets are in no output and no file outside the backup file and the vault (both sealed)', async () => {
    for (const home of [source.home, target.home]) {
      for (const file of await filesUnder(home)) {
        const text = (await readFile(file)).toString('latin1');
        for (const s of secrets) assert.ok(!forms(s).some((f) => text.includes(f)), `${file} holds a secret`);
      }
    }
    const sealed = (await readFile(backupFile)).toString('latin1');
    for (const s of secrets) assert.ok(!forms(s).some((f) => sealed.includes(f)), 'the backup file is encrypted');
    for (const o of outputs) for (const s of secrets) assert.ok(!forms(s).some((f) => (o.stdout + o.stderr).includes(f)), `output holds a secret: ${o.stdout}${o.stderr}`);
  });
});

describe('issue #17: a generated recovery phrase', async () => {
  test('printed once, restores (typed in lower case too); the file is refused with any other phrase', async () => {
    const { home, cleanup } = await tempHome();
    const other = await tempHome();
    try {
      await mkdir(join(home, 'connectors'));
      const api = await startUserApi('tok-phrase-0123456789');
      try {
        await writeFile(join(home, 'connectors', 'localapi.json'), (await import('../../helpers/fake-api')).userApiConnector('localapi', api.port));
        await writeFile(join(other.home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } }));
        await mkdir(join(other.home, 'connectors'));
        await writeFile(join(other.home, 'connectors', 'localapi.json'), (await import('../../helpers/fake-api')).userApiConnector('localapi', api.port));
        const added = await sophon(['connect', 'add', 'localapi', '--secret-stdin', '--json'], { home, stdin: 'tok-phrase-0123456789' });
        assert.equal(added.code, 0, added.stderr);
        const file = join(home, 'b.sophon-backup');
        const r = await sophon(['vault', 'backup', '--out', file], { home });
        assert.equal(r.code, 0, r.stderr);
        const phrase = /Recovery phrase \(shown only this once.*\n\n\s+(\S+)\n/.exec(r.stdout)?.[1];
        assert.match(phrase ?? '', /^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){7}$/);
        const wrong = await sophon(['vault', 'restore', file, '--passphrase-stdin'], { home: other.home, stdin: phrase!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
        assert.equal(wrong.code, 6);
        const ok = await sophon(['vault', 'restore', file, '--passphrase-stdin', '--yes'], { home: other.home, stdin: phrase!.toLowerCase() });
        assert.equal(ok.code, 0, ok.stderr);
        const t = await sophon(['connect', 'test', json<{ connection: { id: string } }>(added).connection.id], { home: other.home });
        assert.equal(t.code, 0, t.stdout + t.stderr);
      } finally {
        await api.close();
      }
    } finally {
      await cleanup();
      await other.cleanup();
    }
  });
});
