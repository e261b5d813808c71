import { spawn } from 'node:child_process';

export type KeyringLookup = { kind: 'found'; secret: string } | { kind: 'missing' } | { kind: 'unavailable'; message: string };

/** What a helper program needs from the environment to reach the session's Secret Service, and nothing else. */
export function sessionEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY', 'WAYLAND_DISPLAY', 'LANG', 'SYSTEMROOT', 'APPDATA', 'LOCALAPPDATA', 'USERPROFILE'];
  const out: NodeJS.ProcessEnv = {};
  for (const k of keep) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started (ENOENT: not installed). */
  spawnError: string | null;
}

/** Runs a helper with no shell, a bounded time and no stdin. Arguments never carry a secret. */
export function runHelper(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const done = (r: RunResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ code: null, stdout: '', stderr: '', timedOut: false, spawnError: err.code ?? 'error' });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut, spawnError: null });
    });
  });
}

/**
 * Looks an item up in the Secret Service by its attributes with `secret-tool` (libsecret). keytar cannot
 * read these items: Go's go-keyring (gh) and Rust's keyring crate (Codex) store `service` + `username`,
 * keytar `service` + `account`. Linux only; elsewhere it reports the keyring as unavailable.
 */
export async function secretToolLookup(attrs: Record<string, string>, env: NodeJS.ProcessEnv, timeoutMs = 3000): Promise<KeyringLookup> {
  if (process.platform !== 'linux') return { kind: 'unavailable', message: 'reading this keyring item is supported on Linux only' };
  const args = ['lookup', ...Object.entries(attrs).flat()];
  const r = await runHelper('secret-tool', args, sessionEnv(env), timeoutMs);
  if (r.spawnError === 'ENOENT') return { kind: 'unavailable', message: 'secret-tool is not installed (Debian/Ubuntu: libsecret-tools)' };
  if (r.spawnError) return { kind: 'unavailable', message: `secret-tool could not be started (${r.spawnError})` };
  if (r.timedOut) return { kind: 'unavailable', message: 'the keyring did not answer within 3 s (is it locked?)' };
  if (r.code === 0 && r.stdout) return { kind: 'found', secret: r.stdout.replace(/\r?\n$/, '') };
  // secret-tool says nothing and exits 1 when no item matches; anything on stderr is the keyring failing.
  if (r.stderr.trim()) return { kind: 'unavailable', message: `the keyring cannot be reached or is locked (${firstLine(r.stderr)})` };
  // A locked item also looks like "no match" to `lookup`; `search` still lists a locked item's attributes.
  const search = await runHelper('secret-tool', ['search', ...Object.entries(attrs).flat()], sessionEnv(env), timeoutMs);
  if (/locked/i.test(search.stderr) || (search.code === 0 && /^\[\//m.test(search.stdout) && !/^secret = /m.test(search.stdout))) {
    return { kind: 'unavailable', message: 'the keyring is locked: unlock it (log in to the desktop, or unlock "login" in your keyring app) and try again' };
  }
  return { kind: 'missing' };
}

/**
 * One line of a helper's error output, cut short, with anything that could be a token blanked out:
 * YAML decoders quote the offending value (`cannot unmarshal !!str \`gho_…\``), and that value may be one.
 */
export function firstLine(text: string): string {
  const line = (text.trim().split('\n')[0] ?? '')
    .replace(/`[^`]*`/g, '`…`')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/[A-Za-z0-9_+=-]{20,}/g, '…');
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
