// Keychain code needs a Secret Service. When no session bus is present (a terminal without a desktop,
// CI), re-run the calling script inside a private D-Bus session with a throwaway, unlocked
// gnome-keyring in its own folder, so the person's own keyring is never touched.
import { spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Returns only when already inside a session (or none can be made); otherwise runs `script` inside one and exits with its status. */
export function ensureKeyringSession(script) {
  if (process.env.DBUS_SESSION_BUS_ADDRESS || process.env.SOPHON_NO_KEYRING_SESSION) return;
  if (!has('dbus-run-session') || !has('gnome-keyring-daemon')) {
    console.warn(`${script}: no D-Bus session and no dbus-run-session/gnome-keyring-daemon: keychain code cannot run. See README.`);
    return;
  }
  const r = spawnSync('dbus-run-session', ['--', 'sh', '-c',
    // A private keyring folder: an existing login keyring with another password would stay locked.
    'export XDG_DATA_HOME="$(mktemp -d)"; printf %s sophon-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec node "$0" "$@"',
    script, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
