import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { isSophonError } from '../../../electron/core/errors';
import { openVault } from '../../../electron/core/vault/open-vault';
import { filesUnder, forms } from '../../helpers/canary';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { endSession, screenUntil, tmux } from '../../helpers/terminal';

type Keytar = typeof import('keytar');
type Pkcs11Lib = typeof import('pkcs11js');
const require = createRequire(import.meta.url);
const keytar = require('keytar') as Keytar;
const pkcs11 = require('pkcs11js') as Pkcs11Lib;

// A real PKCS#11 token: SoftHSM 2 (Debian's softhsm2), in a token folder of this test's own. The PINs
// are the test's throwaway token's; they go to softhsm2-util's argv here, never to Sophon's.
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'sophon-test';
const OTHER_TOKEN = 'someone-else';
const PIN = '246810';
const SO_PIN = '13579135';
const SERVICE = `sophon-test-${randomBytes(6).toString('hex')}`;
const ACCOUNT = `pkcs11-pin:${TOKEN}`;

interface Status {
  keyProtector: { kind: string; keyId: string | null; location: string | null; reachable: boolean };
  credentials: number;
  problems: string[];
}

function pkcs11Settings(over: Record<string, unknown> = {}): object {
  return { Sophon: { Vault: { KeyProtector: 'pkcs11', Pkcs11: { Module: MODULE, Token: TOKEN, ...over } } } };
}

describe('the master key wrapped by a key on a PKCS#11 token (SoftHSM 2)', async () => {
  const tokens = await mkdtemp(join(tmpdir(), 'sophon-softhsm-'));
  const conf = join(tokens, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // SoftHSM reads its configuration when the module starts: in this process (core) and in each CLI child.
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf, SOPHON_KEYCHAIN_SERVICE: SERVICE };
  const run = (args: string[], home: string, stdin?: string) => sophon(args, { home, env, stdin });
  const { home, cleanup } = await tempHome(pkcs11Settings());
  const secret = `sk-pkcs11-${randomBytes(12).toString('hex')}`;
  let connectionId = '';

  beforeAll(async () => {
    for (const label of [TOKEN, OTHER_TOKEN]) {
      await promisify(execFile)('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', PIN], { env });
    }
  });
  afterAll(async () => {
    for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
    await cleanup();
    await rm(tokens, { recursive: true, force: true });
  });

  test('no PIN stored and no terminal: a clear error, and nothing is created', async () => {
    const r = await run(['connect', 'add', 'openai', '--secret-stdin', '--no-test'], home, secret);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, new RegExp(`PIN of PKCS#11 token "${TOKEN}" is needed.*account "${ACCOUNT}".*sophon vault pkcs11-pin`));
    assert.ok(!r.stderr.includes(secret));
    assert.deepEqual(await readdir(join(home, 'security')).catch(() => []), []);
    assert.deepEqual((await readdir(join(home, 'vault')).catch(() => [])).filter((f) => f.endsWith('.vault')), []);
  });

  test('sophon vault pkcs11-pin: a wrong PIN is refused by the token and not kept; the right one is kept', async () => {
    const wrong = await run(['vault', 'pkcs11-pin', '--secret-stdin'], home, '999999\n');
    assert.equal(wrong.code, 6, wrong.stderr);
    assert.match(wrong.stderr, new RegExp(`token "${TOKEN}" refused the PIN \\(CKR_PIN_INCORRECT.*did not try again`));
    assert.ok(!wrong.stderr.includes('999999'));
    assert.equal(await keytar.getPassword(SERVICE, ACCOUNT), null);
    const right = await run(['vault', 'pkcs11-pin', '--secret-stdin'], home, `${PIN}\n`);
    assert.equal(right.code, 0, right.stderr);
    assert.ok(!right.stdout.includes(PIN));
    assert.equal(await keytar.getPassword(SERVICE, ACCOUNT), PIN);
  });

  test('a fresh vault on the token: put through the CLI, the key made on the token, only its wrapped form on disk', async () => {
    const r = await run(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--json'], home, secret);
    assert.equal(r.code, 0, r.stderr);
    connectionId = json<{ connection: { id: string } }>(r).connection.id;
    assert.ok(connectionId);
    // The audit chain's signed head (audit-head.json, no secret) may sit there too; the key is only in its wrapped form.
    assert.deepEqual((await readdir(join(home, 'security'))).filter((f) => !f.endsWith('.lock') && f !== 'audit-head.json').sort(), ['keyinfo.json', 'pkcs11-key.json']);
    for (const f of ['keyinfo.json', 'pkcs11-key.json']) assert.equal((await stat(join(home, 'security', f))).mode & 0o777, 0o600, f);
    const info = JSON.parse(await readFile(join(home, 'security', 'keyinfo.json'), 'utf8')) as { protector: string; keyId: string };
    assert.equal(info.protector, 'pkcs11');

    // Through the core, in this process: the same credential and the master key itself.
    const { vault, keys } = await openVault({ home, env });
    assert.equal((await vault.get('default', connectionId))?.accessToken, secret);
    const master = (await keys.get()).key;
    assert.equal((await keys.get()).id, info.keyId);
    await vault.put('default', 'core-1', { apiKey: 'core-written' });

    // Neither the master key nor the credential is anywhere under SOPHON_HOME in a readable form.
    const needles = [...forms(master.toString('hex')), master.toString('base64'), ...forms(secret)];
    for (const file of await filesUnder(home)) {
      const bytes = await readFile(file);
      assert.ok(!bytes.includes(master), `${file} holds the raw master key`);
      for (const n of needles) assert.ok(!bytes.includes(n), `${file} holds ${n.slice(0, 6)}…`);
    }
  });

  test('the wrapping key on the token is sensitive and not extractable', () => {
    const p = new pkcs11.PKCS11();
    p.load(MODULE);
    p.C_Initialize();
    try {
      const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trimEnd() === TOKEN)!;
      const session = p.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
      p.C_Login(session, pkcs11.CKU_USER, PIN);
      p.C_FindObjectsInit(session, [{ type: pkcs11.CKA_LABEL, value: 'sophon-vault-wrap' }]);
      const found = p.C_FindObjects(session, 5);
      p.C_FindObjectsFinal(session);
      assert.equal(found.length, 1);
      const [sensitive, extractable] = p.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11.CKA_SENSITIVE }, { type: pkcs11.CKA_EXTRACTABLE }]);
      assert.deepEqual([sensitive!.value, extractable!.value], [Buffer.from([1]), Buffer.from([0])]);
      assert.throws(() => p.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
    } finally {
      p.C_Finalize();
      p.close();
    }
  });

  test('new processes open it: vault status and verify', async () => {
    const s = await run(['vault', 'status', '--json'], home);
    assert.equal(s.code, 0, s.stderr);
    const status = json<Status>(s);
    assert.equal(status.keyProtector.kind, 'pkcs11');
    assert.equal(status.keyProtector.reachable, true);
    assert.match(status.keyProtector.location ?? '', new RegExp(`PKCS#11 token "${TOKEN}".*key "sophon-vault-wrap"`));
    assert.equal(status.credentials, 2);
    const v = await run(['vault', 'verify'], home);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /2 of 2 credential file\(s\) open/);
  });

  test('a wrong PIN in the keychain: one clear error, the stored PIN removed so it is not tried again, nothing lost', async () => {
    const before = await snapshot(home);
    await keytar.setPassword(SERVICE, ACCOUNT, '000000');
    const r = await run(['vault', 'verify'], home);
    assert.equal(r.code, 6, r.stderr);
    assert.match(said(r), /refused the PIN \(CKR_PIN_INCORRECT.*stored in the OS keychain.*removed it/);
    assert.ok(!said(r).includes('000000'));
    assert.equal(await keytar.getPassword(SERVICE, ACCOUNT), null, 'the refused PIN is not tried by the next process');
    const again = await run(['vault', 'verify'], home);
    assert.match(said(again), /is needed and none is stored/);
    assert.deepEqual(await snapshot(home), before, 'no file changed');
    assert.equal((await run(['vault', 'pkcs11-pin', '--secret-stdin'], home, PIN)).code, 0);
    const ok = await run(['vault', 'verify'], home);
    assert.equal(ok.code, 0, ok.stderr);
    const { vault } = await openVault({ home, env });
    assert.equal((await vault.get('default', connectionId))?.accessToken, secret);
  });

  test('a missing token, a missing key, a missing or wrong module: clear errors naming what to fix', async () => {
    const wrongToken = await withSettings(home, pkcs11Settings({ Token: 'not-plugged-in' }), () => run(['vault', 'status', '--json'], home));
    assert.equal(wrongToken.code, 6);
    assert.match(json<Status>(wrongToken).problems[0] ?? '', new RegExp(`No PKCS#11 token labelled "not-plugged-in" is present .*tokens present: .*"${TOKEN}".*Sophon.Vault.Pkcs11.Token`));

    const noKey = await withSettings(home, pkcs11Settings({ KeyLabel: 'never-made' }), () => run(['vault', 'verify'], home));
    assert.equal(noKey.code, 6);
    assert.match(said(noKey), new RegExp(`Token "${TOKEN}" has no key labelled "never-made"`));

    const otherToken = await withSettings(home, pkcs11Settings({ Token: OTHER_TOKEN }), async () => {
      await keytar.setPassword(SERVICE, `pkcs11-pin:${OTHER_TOKEN}`, PIN);
      return run(['vault', 'verify'], home);
    });
    assert.equal(otherToken.code, 6);
    assert.match(said(otherToken), new RegExp(`Token "${OTHER_TOKEN}" has no key labelled "sophon-vault-wrap"`));

    const badModule = await withSettings(home, pkcs11Settings({ Module: '/nonexistent/libpkcs11.so' }), () => run(['vault', 'verify'], home));
    assert.equal(badModule.code, 6);
    assert.match(said(badModule), /Cannot load the PKCS#11 module \/nonexistent\/libpkcs11\.so \(Sophon\.Vault\.Pkcs11\.Module in .*appsettings\.json\)/);

    const noModule = await withSettings(home, { Sophon: { Vault: { KeyProtector: 'pkcs11', Pkcs11: { Token: TOKEN } } } }, () => run(['vault', 'status'], home));
    assert.equal(noModule.code, 7);
    assert.match(noModule.stderr, /Sophon\.Vault\.Pkcs11\.Module is not set in .*appsettings\.json/);

    const relative = await withSettings(home, pkcs11Settings({ Module: 'libsofthsm2.so' }), () => run(['vault', 'status'], home));
    assert.equal(relative.code, 7);
    assert.match(relative.stderr, /Sophon\.Vault\.Pkcs11\.Module .* must be an absolute path/);

    await assert.rejects(
      withSettings(home, pkcs11Settings({ Token: 'not-plugged-in' }), async () => (await openVault({ home, env })).vault.get('default', connectionId)),
      (err: unknown) => isSophonError(err, 'key_protector_unavailable'),
    );
    const ok = await run(['vault', 'verify'], home);
    assert.equal(ok.code, 0, `after all that the vault still opens: ${ok.stderr}`);
  });

  test('at a terminal with no PIN stored: asked for with a hidden prompt, never echoed, not kept', async () => {
    await keytar.deletePassword(SERVICE, ACCOUNT);
    const session = `sophon-pin-${process.pid}`;
    const bin = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
    const vars = { SOPHON_HOME: home, SOFTHSM2_CONF: conf, SOPHON_KEYCHAIN_SERVICE: SERVICE, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '', NO_COLOR: '1' };
    const assignments = Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join(' ');
    try {
      tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', `env ${assignments} ${process.execPath} ${bin} vault verify; echo EXIT:$?; sleep 30`);
      await screenUntil(session, new RegExp(`PIN for PKCS#11 token "${TOKEN}":`));
      tmux('send-keys', '-t', session, '-l', PIN);
      tmux('send-keys', '-t', session, 'Enter');
      const screen = await screenUntil(session, /EXIT:\d+/);
      assert.match(screen, /EXIT:0/, screen);
      assert.match(screen, /2 of 2 credential file\(s\) open/);
      assert.ok(!screen.includes(PIN), `the PIN was echoed:\n${screen}`);
    } finally {
      endSession(session);
    }
    assert.equal(await keytar.getPassword(SERVICE, ACCOUNT), null, 'a typed PIN is used once, not stored');
    assert.equal((await run(['vault', 'pkcs11-pin', '--secret-stdin'], home, PIN)).code, 0);
  });

  test('the key protector cannot be switched under existing data by editing the setting', async () => {
    const r = await withSettings(home, { Sophon: { Vault: { KeyProtector: 'file' } } }, () => run(['vault', 'verify'], home));
    assert.equal(r.code, 6);
    assert.match(said(r), /kept by the "pkcs11" protector, but Sophon\.Vault\.KeyProtector is "file"/);
    assert.equal((await run(['vault', 'verify'], home)).code, 0);
  });
});

/** What a command told the person: `vault verify` reports each file's problem on stdout, other errors go to stderr. */
function said(r: { stdout: string; stderr: string }): string {
  return r.stdout + r.stderr;
}

/** Runs `fn` with other settings in place, then puts the test's settings back. */
async function withSettings<T>(home: string, settings: object, fn: () => Promise<T>): Promise<T> {
  const file = join(home, 'config', 'appsettings.json');
  const saved = await readFile(file, 'utf8');
  await writeFile(file, JSON.stringify(settings));
  try {
    return await fn();
  } finally {
    await writeFile(file, saved);
  }
}

async function snapshot(home: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await filesUnder(home)) {
    if (f.endsWith('sophon.db') || f.includes('sophon.db-') || f.endsWith('.lock')) continue;
    out[f] = (await readFile(f)).toString('base64');
  }
  return out;
}
