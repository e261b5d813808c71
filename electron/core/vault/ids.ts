import { SophonError } from '../errors';

/**
 * User and connection ids become file names (`{userId}_{connectionId}.vault`), so they are held to a
 * shape that cannot leave the folder, cannot collide on a case-insensitive disk, and splits back
 * unambiguously: lowercase letters, digits, `-` and `.`, starting with a letter or digit, at most 64.
 */
const ID_RE = /^[a-z0-9][a-z0-9.-]{0,63}$/;

export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

export function assertValidId(kind: 'user' | 'connection', id: string): void {
  if (!isValidId(id)) {
    throw new SophonError(
      'invalid_input',
      `Invalid ${kind} id ${JSON.stringify(id.slice(0, 80))}: use 1-64 lowercase letters, digits, "-" or ".", starting with a letter or digit.`,
    );
  }
}

export function vaultFileName(userId: string, connectionId: string): string {
  assertValidId('user', userId);
  assertValidId('connection', connectionId);
  return `${userId}_${connectionId}.vault`;
}

export function parseVaultFileName(name: string): { userId: string; connectionId: string } | null {
  if (!name.endsWith('.vault')) return null;
  const stem = name.slice(0, -'.vault'.length);
  const sep = stem.indexOf('_');
  if (sep < 0) return null;
  const userId = stem.slice(0, sep);
  const connectionId = stem.slice(sep + 1);
  return isValidId(userId) && isValidId(connectionId) ? { userId, connectionId } : null;
}
