import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';
import { isSophonError } from '../../../electron/core/errors';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { cliStores, fakeToken, ghHostsMulti, ghHostsOld, writeStore, type CliStores } from '../../helpers/cli-stores';
import { startUserApi } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

const CHILD = fileURLToPath(new URL('./gh-keyring-child.ts', import.meta.url));

async function withCore(stores: CliStores, env: NodeJS.ProcessEnv, fn: (core: CoreWithInternals) => Promise<void>, catalog?: Parameters<typeof openCoreInternals>[0] extends infer O ? O extends { catalog?: infer C } ? C : never : never): Promise<void> {
  const { home, cleanup } = await tempHome();
  const core = await openCoreInternals({ home, env: { ...stores.env, ...env }, ...(catalog ? { catalog } : {}) });
  try {
    await fn(core);
  } finally {
    core.close();
    await cleanup();
    await stores.cleanup();
  }
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isSophonError(err, 'auth_failed'), String(err));
    return err.message;
  }
  assert.fail('expected auth_failed');
}

describe('GitHub CLI logins, read with the real gh binary', () => {
  test('old hosts.yml layout: every host is found through `gh auth token` in a clean environment — an inherited GH_TOKEN is not the login, and is offered as its own source', async () => {
    const stores = await cliStores();
    const octo = fakeToken('gho_');
    const bob = fakeToken('gho_');
    const inherited = fakeToken('ghp_inherited');
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: octo }, 'ghe.example.test': { user: 'bob', token: bob } }));
    await withCore(stores, { GH_TOKEN: inherited }, async (core) => {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['gh', 'env']);
      assert.deepEqual(
        scan.logins.map((l) => [l.key, l.serviceId, l.storage, l.mode]),
        [
          ['gh:github.com:octocat', 'github-pat', 'hosts.yml (via gh)', 'linked'],
          ['gh:ghe.example.test:bob', 'github-enterprise', 'hosts.yml (via gh)', 'linked'],
          ['env:GH_TOKEN', 'github-pat', 'environment', 'copy'],
        ],
      );
      assert.equal(scan.logins[2]!.sourceName, 'environment variable');
      assert.deepEqual(scan.sources.find((s) => s.source === 'gh')!.messages, []);
      const result = await imports.import('default', scan, ['gh:github.com:octocat', 'gh:ghe.example.test:bob']);
      const [octoId, bobId] = result.imported.map((i) => i.connectionId);
      assert.equal(await core.connections.accessToken('default', octoId!), octo, 'the login, not the inherited GH_TOKEN');
      assert.equal(await core.connections.accessToken('default', bobId!), bob);
      const ghe = await core.connections.status('default', bobId!);
      assert.equal(ghe.fields.host, 'ghe.example.test');
      assert.equal(ghe.label, 'bob via gh');
      assert.deepEqual(await core.vault.list(), [], 'linked: nothing in the vault');

      // `gh auth login` as someone else on the old layout replaces the account: the connection needs re-auth.
      await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'hubot', token: fakeToken('gho_') }, 'ghe.example.test': { user: 'bob', token: bob } }));
      assert.match(await failure(core.connections.accessToken('default', octoId!, { waitMs: 0 })), /gh on github\.com is now logged in as hubot, not octocat/);
      // `gh auth logout --hostname github.com` removes the host.
      await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'ghe.example.test': { user: 'bob', token: bob } }));
      assert.match(await failure(core.connections.accessToken('default', octoId!, { waitMs: 0 })), /gh logged out of github\.com/);
      const status = await core.connections.status('default', octoId!);
      assert.equal(status.state, 'needs_reauth');
      assert.equal(status.stateReason, 'gh logged out of github.com.');
      assert.equal((await core.connections.status('default', bobId!)).state, 'active');
      assert.ok(core.audit.query({ userId: 'default' }).some((r) => r.action === 'use' && r.outcome === 'failed' && r.detail === 'linked read: gh logged out of github.com.'));
    });
  });

  test('multi-account layout: every account is listed; after `gh auth switch` each connection keeps its own account\'s token; --copy stores an independent copy', async () => {
    const stores = await cliStores();
    const mona = fakeToken('gho_');
    const hubot = fakeToken('gho_');
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsMulti({ 'github.com': { active: 'monalisa', users: { monalisa: mona, hubot } } }));
    await withCore(stores, {}, async (core) => {
      const imports = await core.imports();
      const scan = await imports.scan('default', ['gh'], { copy: true });
      assert.deepEqual(scan.logins.map((l) => [l.key, l.storage, l.mode]), [
        ['gh:github.com:monalisa', 'hosts.yml (via gh)', 'copy'],
        ['gh:github.com:hubot', 'hosts.yml', 'copy'],
      ]);
      const copied = await imports.import('default', scan, ['gh:github.com:hubot'], { copy: true });
      const linked = await imports.import('default', scan, ['gh:github.com:monalisa']);
      const hubotId = copied.imported[0]!.connectionId;
      const monaId = linked.imported[0]!.connectionId;
      assert.equal(copied.imported[0]!.mode, 'copy');
      assert.equal((await core.credentials.read({ userId: 'default', connectionId: hubotId }))?.accessToken, hubot, 'the copy is in the vault');
      assert.equal((await core.connections.status('default', hubotId)).fields.importMode, 'copy');

      await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsMulti({ 'github.com': { active: 'hubot', users: { monalisa: mona, hubot } } }));
      assert.equal(await core.connections.accessToken('default', monaId), mona);
      assert.equal((await core.connections.status('default', monaId)).state, 'active');
      // A copy does not follow gh: logging out leaves it working.
      await writeStore(join(stores.ghDir, 'hosts.yml'), '');
      assert.equal(await core.connections.accessToken('default', hubotId), hubot);
      assert.match(await failure(core.connections.accessToken('default', monaId, { waitMs: 0 })), /gh logged out of github\.com/);
      const again = await imports.scan('default', ['gh']);
      assert.equal(again.sources[0]!.status, 'missing');
      assert.match(again.sources[0]!.messages[0]!, /gh is not logged in/);
    });
  });

  test('gh missing, gh failing and a broken hosts.yml are each a clear message; hosts.yml is still read when gh cannot be run', async () => {
    const stores = await cliStores();
    const octo = fakeToken('gho_');
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: octo } }));
    const bin = await mkdtemp(join(tmpdir(), 'sophon-nogh-'));
    await symlink('/usr/bin/secret-tool', join(bin, 'secret-tool'));
    try {
      await withCore(stores, { PATH: bin }, async (core) => {
        const scan = await (await core.imports()).scan('default', ['gh']);
        assert.match(scan.sources[0]!.messages.join(' '), /gh is not installed \(or not on PATH\); its files and the keyring were read directly/);
        assert.equal(scan.logins[0]!.storage, 'hosts.yml');
        const id = (await (await core.imports()).import('default', scan, ['gh:github.com:octocat'])).imported[0]!.connectionId;
        assert.equal(await core.connections.accessToken('default', id), octo);
      });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }

    const failing = await cliStores();
    await writeStore(join(failing.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: octo } }));
    await writeFile(join(failing.ghDir, 'config.yml'), 'git_protocol: [\n');
    await withCore(failing, {}, async (core) => {
      const scan = await (await core.imports()).scan('default', ['gh']);
      assert.match(scan.sources[0]!.messages[0]!, /`gh auth token --hostname github\.com` failed \(exit 1: failed to read configuration/);
      assert.equal(scan.logins.length, 1);
    });

    const broken = await cliStores();
    await writeStore(join(broken.ghDir, 'hosts.yml'), `github.com:\n    oauth_token: ${octo}\n  user: [octocat\n`);
    await withCore(broken, {}, async (core) => {
      const scan = await (await core.imports()).scan('default', ['gh', 'env']);
      const gh = scan.sources.find((s) => s.source === 'gh')!;
      assert.equal(gh.status, 'error');
      assert.match(gh.messages[0]!, /hosts\.yml .* is not valid YAML \(line \d+, column \d+\)/);
      assert.ok(!JSON.stringify(scan).includes(octo), 'the message never quotes the file');
    });

    const typed = await cliStores();
    await writeStore(join(typed.ghDir, 'hosts.yml'), 'github.com:\n    user: [a, b]\n');
    await withCore(typed, {}, async (core) => {
      const scan = await (await core.imports()).scan('default', ['gh']);
      assert.match(scan.sources[0]!.messages[0]!, /not in gh's format \(github\.com\.user\)/);
    });
  });

  test('no keyring reachable: an account whose token gh keeps in the keyring is named with the reason', async () => {
    const stores = await cliStores();
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsMulti({ 'github.com': { active: 'monalisa', users: { monalisa: null } } }));
    await withCore(stores, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' }, async (core) => {
      const scan = await (await core.imports()).scan('default', ['gh']);
      assert.equal(scan.sources[0]!.status, 'error');
      assert.match(scan.sources[0]!.messages.join(' '), /gh keeps monalisa's token for github\.com in the keyring, which cannot be read: the keyring cannot be reached or is locked/);
    });
  });

  test('tokens gh keeps in the real gnome-keyring (service gh:github.com, username "" and per account) are read; a cleared item and a locked keyring are reported', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        'dbus-run-session',
        ['--', 'sh', '-c', 'export XDG_DATA_HOME="$(mktemp -d)"; printf %s sophon-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" --import tsx "$1"', process.execPath, CHILD],
        { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(out.logins, [
      { key: 'gh:github.com:monalisa', storage: 'keyring', serviceId: 'github-pat' },
      { key: 'gh:github.com:hubot', storage: 'keyring', serviceId: 'github-pat' },
    ]);
    assert.equal(out.activeTokenRight, true, 'the active account\'s token from the "" item, not the inherited GH_TOKEN');
    assert.equal(out.hubotTokenRight, true);
    assert.equal(out.vaultFiles, 0);
    assert.match(String(out.afterClear), /gh lists hubot on github\.com but has no token for it/);
    assert.equal(out.afterClearState, 'needs_reauth');
    const codexLogins = out.codexLogins as { key: string; storage: string; serviceId: string }[];
    assert.equal(codexLogins.length, 1);
    assert.match(codexLogins[0]!.key, /^codex:\/.+\/\.codex:api-key$/);
    assert.deepEqual([codexLogins[0]!.storage, codexLogins[0]!.serviceId], ['keyring', 'openai']);
    assert.equal(out.codexTokenRight, true, 'Codex\'s keyring login (service "Codex Auth") is read when config.toml says keyring');
    assert.equal(out.lockedLogins, 0);
    const locked = out.lockedSources as { source: string; status: string; messages: string[] }[];
    assert.match(locked.find((s) => s.source === 'gh')!.messages.join(' '), /the keyring is locked/);
    assert.equal(locked.find((s) => s.source === 'codex')!.status, 'error');
    assert.match(locked.find((s) => s.source === 'codex')!.messages.join(' '), /Codex keeps its login in the keyring, which cannot be read: the keyring is locked/);
    assert.equal(out.leaked, false);
  });

  test('`connect test` of an imported gh login calls the GitHub API with gh\'s current token, and a logged-out gh fails the test without any call', async () => {
    const stores = await cliStores();
    const octo = fakeToken('gho_');
    const api = await startUserApi(octo, 'octocat');
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: octo } }));
    try {
      // The real github-pat entry, pointed at the local API: the only way to test without github.com.
      await withCore(
        stores,
        { GH_TOKEN: fakeToken('ghp_inherited') },
        async (core) => {
          const imports = await core.imports();
          const scan = await imports.scan('default', ['gh']);
          const id = (await imports.import('default', scan, ['gh:github.com:octocat'])).imported[0]!.connectionId;
          const tested = await core.connections.test('default', id);
          assert.equal(tested.outcome.status, 'ok');
          assert.equal(tested.connection.account, 'octocat');
          assert.equal(api.seen.length, 1);
          assert.equal(api.seen[0]!.headers.authorization, `Bearer ${octo}`);

          await writeStore(join(stores.ghDir, 'hosts.yml'), '');
          const after = await core.connections.test('default', id);
          assert.equal(after.outcome.status, 'rejected');
          assert.match(after.outcome.message, /gh logged out of github\.com/);
          assert.equal(after.connection.state, 'needs_reauth');
          assert.equal(api.seen.length, 1, 'no call without a login');
        },
        catalogOf({ ...bearerService('github-pat', api.url), name: 'GitHub (personal access token)' }),
      );
    } finally {
      await api.close();
    }
  });
});
