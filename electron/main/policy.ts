import { normalize, join, sep } from 'node:path';

/**
 * The app window's rules, as plain functions (no electron import) so they are unit-tested: where the
 * renderer is served from, which frames may call IPC, which links leave the app, what a deep link means.
 */

/** The renderer is served from dist/renderer through this privileged scheme, never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'sophon';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** An IPC message is trusted only from a frame showing the app's own renderer. */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

/**
 * A link the renderer tries to open (window.open, target=_blank): https addresses — OAuth sign-in
 * pages, a service's docs — go to the system browser; everything else is dropped.
 */
export function windowOpenDecision(url: string): 'external' | 'deny' {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '' ? 'external' : 'deny';
  } catch {
    return 'deny';
  }
}

/** Navigation of the window itself: only within the app (hash routes); anything else is prevented. */
export function navigationAllowed(url: string): boolean {
  return isAppUrl(url);
}

const CONNECTION_ID = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** `sophon://connection/<id>` → that connection; `sophon://` or `sophon://connections` → the list; anything else: null. */
export function parseDeepLink(url: string): { route: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'sophon:') return null;
  // sophon://connection/<id> parses with host "connection"; sophon:connection/<id> without one.
  const parts = `${u.host}${u.pathname}`.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '\0';
    }
  });
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'connections')) return { route: '#/connections' };
  if (parts.length === 2 && parts[0] === 'connection' && CONNECTION_ID.test(parts[1]!)) return { route: `#/connection/${parts[1]}` };
  if (parts.length === 1 && ['audit', 'vault', 'models', 'logins', 'add'].includes(parts[0]!)) return { route: `#/${parts[0]}` };
  return null;
}

/** The deep link among a second instance's (or the first's) command-line arguments. */
export function deepLinkInArgv(argv: readonly string[]): string | null {
  return argv.find((a) => a.startsWith('sophon:')) ?? null;
}

/** The file of dist/renderer an app:// URL names, or null when it would leave the folder. */
export function appFileFor(rendererDir: string, url: string): string | null {
  let path: string;
  try {
    const u = new URL(url);
    if (!isAppUrl(url)) return null;
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const root = normalize(rendererDir + sep);
  const file = normalize(join(root, path));
  return file.startsWith(root) ? file : null;
}
