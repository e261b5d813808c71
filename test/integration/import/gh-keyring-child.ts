// Run by gh.test.ts inside its own private D-Bus session and gnome-keyring (never the person's keyring):
// plants gh's keyring items as gh ≥ 2.26 writes them, imports, and prints what it saw — no secret.
import { join } from 'node:path';
import { openCore } from '../../../electron/core/sophon-core';
import { clearKeyringItem, cliStores, fakeToken, ghHostsMulti, plantKeyringItem, writeStore } from '../../helpers/cli-stores';
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
  const core = await openCore({ home, env: { ...stores.env, GH_TOKEN: inherited } });
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

  // Lock the keyring (as a screen lock or a fresh login would): the read says so instead of "no token".
  spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'], { stdio: 'ignore' });
  const locked = await imports.scan('default', ['gh']);
  out.lockedSources = locked.sources;
  out.lockedLogins = locked.logins.length;
  const printed = JSON.stringify(out);
  out.leaked = [active, hubot].some((t) => printed.includes(t));
  core.close();
} finally {
  await cleanup();
  await stores.cleanup();
}
process.stdout.write(JSON.stringify(out));
