// Run by gh.test.ts inside its own private D-Bus session and gnome-keyring (never the person's keyring):
// plants gh's keyring items as gh ≥ 2.26 writes them, imports, and prints what it saw — no secret.
import { join } from 'node:path';
import { codexKeyringAccount } from '../../../electron/core/import/sources/codex';
import { openCoreInternals } from '../../helpers/internals';
import { clearKeyringItem, cliStores, codexApiKeyAuth, fakeToken, ghHostsMulti, plantKeyringItem, writeStore } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';
import { spawnSync } from 'node:child_process';

const stores = await cliStores();
const { home, cleanup } = await tempHome();
const out: Record<string, unknown> = {};
try {
  const active = fakeToken('gho_');
  const hubot = fakeToken('gho_');
  const inherited = fakeToken('gho_inherited');
  await plantKeyringItem({ service: 'gh:github.com', username: '' }, active);
  await plantKeyringItem({ service: 'gh:github.com', username: 'hubot' }, hubot);
  await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsMulti({ 'github.com': { active: 'monalisa', users: { monalisa: null, hubot: null } } }));
  const core = await openCoreInternals({ home, env: { ...stores.env, GH_TOKEN: inherited } });
  const imports = await core.imports();
  const scan = await imports.scan('default', ['gh']);
  out.sources = scan.sources;
  out.logins = scan.logins.map((l) => ({ key: l.key, storage: l.storage, serviceId: l.serviceId }));
  const result = await imports.import('default', scan, scan.logins.map((l) => l.key));
  const ids = new Map(result.imported.map((i) => [i.key, i.connectionId]));
  out.activeTokenRight = (await core.connections.accessToken('default', ids.get('gh:github.com:monalisa')!)) === active;
  out.hubotTokenRight = (await core.connections.accessToken('default', ids.get('gh:github.com:hubot')!)) === hubot;
  out.vaultFiles = (await core.vault.list()).length;

  await clearKeyringItem({ service: 'gh:github.com', username: 'hubot' });
  try {
    await core.connections.accessToken('default', ids.get('gh:github.com:hubot')!, { waitMs: 0 });
    out.afterClear = 'token';
  } catch (err) {
    out.afterClear = (err as Error).message;
  }
  out.afterClearState = (await core.connections.status('default', ids.get('gh:github.com:hubot')!)).state;

  // Codex with cli_auth_credentials_store = "keyring": no auth.json, the same JSON in the keyring as the keyring crate writes it.
  const codexKey = fakeToken('sk-proj-');
  await writeStore(join(stores.codexHome, 'config.toml'), 'model = "o4-mini"\ncli_auth_credentials_store = "keyring"\n', 0o644);
  await plantKeyringItem({ service: 'Codex Auth', username: codexKeyringAccount(stores.codexHome), target: 'default', application: 'rust-keyring' }, codexApiKeyAuth(codexKey));
  const codexScan = await imports.scan('default', ['codex']);
  out.codexLogins = codexScan.logins.map((l) => ({ key: l.key, storage: l.storage, serviceId: l.serviceId }));
  const codexId = (await imports.import('default', codexScan, codexScan.logins.map((l) => l.key))).imported[0]?.connectionId;
  out.codexTokenRight = codexId !== undefined && (await core.connections.accessToken('default', codexId)) === codexKey;

  // Lock the keyring (as a screen lock or a fresh login would): the read says so instead of "no token".
  spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'], { stdio: 'ignore' });
  const locked = await imports.scan('default', ['gh', 'codex']);
  out.lockedSources = locked.sources;
  out.lockedLogins = locked.logins.length;
  const printed = JSON.stringify(out);
  out.leaked = [active, hubot, codexKey].some((t) => printed.includes(t));
  core.close();
} finally {
  await cleanup();
  await stores.cleanup();
}
process.stdout.write(JSON.stringify(out));
