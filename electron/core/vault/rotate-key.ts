import { writeSettings } from '../config/settings-writer';
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { AuditHeadStore } from '../audit/audit-head';
import type { SophonPaths } from '../config/paths';
import { loadSettings } from '../config/settings';
import { errnoOf, isSophonError, SophonError } from '../errors';
import { ensurePrivateDir, fsyncDir, processAlive, readSmallFile, removeStaleTemps, writeTemp } from '../fs/secure-fs';
import { keyIdOf, MASTER_KEY_BYTES, type KeyProtector, type MasterKey } from '../keys/key-protector';
import { writeKeyInfoFile, type KeyInfo } from '../keys/master-key';
import { createRegisteredKeyProtector, isKeyProtectorKind, KEY_PROTECTOR_KINDS, type KeyProtectorContext } from '../keys/registry';
import {
  readRotationJournal,
  removeRotationJournal,
  stagedPaths,
  writeRotationJournal,
  type RotationJournal,
} from '../keys/rotation-journal';
import { decryptVaultFile, encryptVaultFile, readKeyId } from './format';
import { parseVaultFileName } from './ids';
import { openVault, type OpenVaultOptions } from './open-vault';
import { SYSTEM_DIR_NAME } from './system-secrets';

export interface RotateKeyOptions extends Pick<OpenVaultOptions, 'home' | 'env' | 'askSecret'> {
  /** Move the key to this protector; the current one when absent. */
  to?: string;
  /** Files re-sealed at once. */
  concurrency?: number;
  /**
   * Called after each durable step (tests throw from it to stop the rotation exactly there, leaving the
   * disk as a crash at that point would).
   */
  afterStep?: (step: RotationStep) => void | Promise<void>;
}

export type RotationStep = 'journal-prepare' | 'key-staged' | 'journal-rewrap' | 'file-resealed' | 'resealed' | 'head-moved' | 'journal-commit' | 'key-moved' | 'keyinfo-written' | 'settings-written' | 'old-key-removed' | 'staging-cleared';

export interface RotateKeyResult {
  from: { keyId: string; protector: string };
  to: { keyId: string; protector: string };
  /** True when this run finished a rotation an earlier run had begun. */
  resumed: boolean;
  /** Files re-sealed by this run (credentials and system secrets). */
  resealed: number;
  /** Files already under the new key (re-sealed by an earlier run, or written by another process during this one). */
  alreadyNew: number;
  /** Files no key of the rotation opens (damaged, or under a key from elsewhere): left exactly as they were. */
  unreadable: { file: string; problem: string }[];
  /** Whether the old key was removed from its protector by this run (false when a run before this one did). */
  oldKeyRemoved: boolean;
}

/**
 * `sophon vault rotate-key`: a new master key, every file sealed with the old one re-sealed with it, then
 * the old key retired. Each step is recorded in security/rotation.json before it is taken, so a run
 * killed anywhere leaves every file readable by one of the two keys, and the next run finishes. See
 * docs/key-rotation.md.
 */
export async function rotateKey(options: RotateKeyOptions = {}): Promise<RotateKeyResult> {
  const opened = await openVault(options);
  const { paths } = opened;
  const ctxFor = async (where: SophonPaths): Promise<KeyProtectorContext> => ({
    paths: where,
    settings: await loadSettings(paths.settingsFile, options.env ?? process.env),
    ...(options.askSecret ? { askSecret: options.askSecret } : {}),
  });
  const releaseRotation = await lockRotation(paths);
  try {
    let journal = await readRotationJournal(paths);
    if (options.to !== undefined && !isKeyProtectorKind(options.to)) {
      throw new SophonError('usage', `--to ${JSON.stringify(options.to)} is not a key protector; choose one of: ${KEY_PROTECTOR_KINDS.join(', ')}.`);
    }
    if (journal && options.to !== undefined && journal.to.protector !== options.to && journal.phase !== 'prepare') {
      throw new SophonError(
        'usage',
        `An interrupted rotation to the "${journal.to.protector}" protector must finish first: run \`sophon vault rotate-key\` without --to (or with --to ${journal.to.protector}).`,
      );
    }
    if (journal?.phase === 'prepare') {
      // Nothing was sealed with the new key yet: forget it and begin again.
      await discardPrepared(journal, paths, await ctxFor(stagedPaths(paths)));
      journal = null;
    }
    const resumed = journal !== null;
    const previousPid = journal?.pid;
    const step = options.afterStep ?? ((): void => undefined);
    if (!journal) journal = await prepare(opened, options.to, await ctxFor(stagedPaths(paths)), step);
    journal = { ...journal, pid: process.pid };
    await writeRotationJournal(paths, journal);
    if (!resumed) await step('journal-rewrap');

    const result: RotateKeyResult = {
      from: journal.from,
      to: journal.to,
      resumed,
      resealed: 0,
      alreadyNew: 0,
      unreadable: [],
      oldKeyRemoved: false,
    };
    if (journal.phase === 'rewrap') {
      // Both keys through the store, exactly as every other reader and writer finds them during the rotation.
      const to = await opened.keys.get();
      const from = await opened.keys.keyFor(journal.from.keyId);
      if (from.id !== journal.from.keyId) {
        throw new SophonError(
          'vault_key_missing',
          `The rotation cannot finish: the old key ${journal.from.keyId} (protector "${journal.from.protector}") is not reachable, and some files may still be sealed with it. Restore that key (see \`sophon vault status\`), then run \`sophon vault rotate-key\` again.`,
        );
      }
      if (to.id !== journal.to.keyId || from.id !== journal.from.keyId) {
        throw new SophonError('internal', `The key rotation journal names keys ${journal.from.keyId} → ${journal.to.keyId}, but the vault found ${from.id} → ${to.id}.`);
      }
      // A killed run's own per-file lock would otherwise hold this one up for 10 s.
      const predecessorDead = previousPid !== undefined && previousPid !== process.pid && !processAlive(previousPid);
      await reseal(paths, from, to, result, options.concurrency ?? 8, predecessorDead, step);
      await step('resealed');
      // The audit chain's signed head moves to the new key too, or `audit verify` could no longer check it.
      const head = new AuditHeadStore(paths.securityDir);
      const state = head.read(from);
      if (state.state === 'verified') head.advance(to, state.head);
      await step('head-moved');
      journal = { ...journal, phase: 'commit' };
      await writeRotationJournal(paths, journal);
      await step('journal-commit');
    }
    result.oldKeyRemoved = await commit(journal, paths, ctxFor, step);
    return result;
  } finally {
    await releaseRotation();
  }
}

/** A new key, stored where it waits until the commit; the journal names it before it exists anywhere. */
type Step = (step: RotationStep) => void | Promise<void>;

async function prepare(opened: Awaited<ReturnType<typeof openVault>>, toKind: string | undefined, stagedCtx: KeyProtectorContext, step: Step): Promise<RotationJournal> {
  const { paths } = opened;
  const state = await opened.keys.state();
  if (state.keyId === null) {
    throw new SophonError('not_found', `The vault in ${paths.home} has no key yet (nothing has been stored), so there is nothing to rotate.`);
  }
  const current = await opened.keys.get();
  const fromKind = opened.protector.kind;
  const target = toKind ?? fromKind;
  const staged = createRegisteredKeyProtector(target, stagedCtx);
  await staged.probe();
  await clearStaging(paths);
  const key = randomBytes(MASTER_KEY_BYTES);
  const journal: RotationJournal = {
    format: 1,
    phase: 'prepare',
    from: { keyId: current.id, protector: fromKind },
    to: { keyId: keyIdOf(key), protector: target },
    startedAt: new Date().toISOString(),
    pid: process.pid,
  };
  await writeRotationJournal(paths, journal);
  await step('journal-prepare');
  await ensurePrivateDir(stagedPaths(paths).securityDir);
  if (!(await staged.store(journal.to.keyId, key))) {
    throw new SophonError('vault_key_mismatch', `A key is already at ${staged.location(journal.to.keyId)}; move it aside and run \`sophon vault rotate-key\` again.`);
  }
  key.fill(0);
  await step('key-staged');
  return { ...journal, phase: 'rewrap' };
}

async function discardPrepared(journal: RotationJournal, paths: SophonPaths, stagedCtx: KeyProtectorContext): Promise<void> {
  // Only a key whose own id the journal names is removed: never the current key.
  if (journal.to.keyId !== journal.from.keyId) await createRegisteredKeyProtector(journal.to.protector, stagedCtx).remove(journal.to.keyId);
  await clearStaging(paths);
  await removeRotationJournal(paths);
}

async function clearStaging(paths: SophonPaths): Promise<void> {
  await fsp.rm(stagedPaths(paths).securityDir, { recursive: true, force: true });
}

/**
 * Every file sealed with the old key is re-sealed with the new one under its writers' lock, then the
 * folders are synced: only after that may the commit retire the old key.
 */
async function reseal(paths: SophonPaths, from: MasterKey, to: MasterKey, result: RotateKeyResult, concurrency: number, predecessorDead: boolean, step: Step): Promise<void> {
  const systemDir = join(paths.vaultDir, SYSTEM_DIR_NAME);
  const files: { file: string; user: string; name: string }[] = [];
  for (const name of await readDirOrEmpty(paths.vaultDir)) {
    const ref = parseVaultFileName(name);
    if (ref) files.push({ file: join(paths.vaultDir, name), user: ref.userId, name: ref.connectionId });
  }
  for (const name of await readDirOrEmpty(systemDir)) {
    if (name.endsWith('.vault')) files.push({ file: join(systemDir, name), user: '_system', name: name.slice(0, -'.vault'.length) });
  }
  if (predecessorDead) await clearDeadRotatorLocks([paths.vaultDir, systemDir]);
  // A killed run's half-written temp files (its own, or any dead writer's) are only clutter.
  await removeStaleTemps(paths.vaultDir);
  await removeStaleTemps(systemDir);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      const release = await lockForReseal(f.file);
      try {
        const data = await readSmallFile(f.file);
        if (data === null) continue;
        const keyId = readKeyId(data);
        if (keyId === to.id) {
          result.alreadyNew++;
          continue;
        }
        let plaintext: Buffer;
        try {
          plaintext = decryptVaultFile(f.file, from, f.user, f.name, data);
        } catch (err) {
          if (!isSophonError(err)) throw err;
          result.unreadable.push({ file: f.file, problem: err.message });
          continue;
        }
        const tmp = await writeTemp(f.file, encryptVaultFile(to, f.user, f.name, plaintext));
        plaintext.fill(0);
        // The folder is synced once for all files below; until then a crash may bring back the old file, which the old key still opens.
        await fsp.rename(tmp, f.file).catch(async (err: unknown) => {
          await fsp.unlink(tmp).catch(() => undefined);
          throw err;
        });
        result.resealed++;
        await step('file-resealed');
      } finally {
        await release();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  await fsyncDir(paths.vaultDir);
  if (files.some((f) => f.user === '_system')) await fsyncDir(systemDir);
}

/**
 * Idempotent, so a run killed here is finished by the next: the staged key moves into place, keyinfo.json
 * and the settings name it, the old key is removed, and the journal goes last.
 */
async function commit(journal: RotationJournal, paths: SophonPaths, ctxFor: (where: SophonPaths) => Promise<KeyProtectorContext>, step: Step): Promise<boolean> {
  const staging = stagedPaths(paths).securityDir;
  const moved = (await readDirOrEmpty(staging)).filter((n) => !n.startsWith('.'));
  for (const name of moved) await fsp.rename(join(staging, name), join(paths.securityDir, name));
  if (moved.length) await fsyncDir(paths.securityDir);
  await step('key-moved');
  const info: KeyInfo = {
    format: 1,
    keyId: journal.to.keyId,
    protector: journal.to.protector,
    createdAt: journal.startedAt,
    rotatedAt: new Date().toISOString(),
    previousKeyId: journal.from.keyId,
  };
  await writeKeyInfoFile(paths, info);
  await step('keyinfo-written');
  const ctx = await ctxFor(paths);
  if (ctx.settings.Sophon.Vault.KeyProtector !== journal.to.protector) await setKeyProtector(paths, journal.to.protector);
  await step('settings-written');
  const removed = await retire(journal, createRegisteredKeyProtector(journal.from.protector, ctx));
  await step('old-key-removed');
  await clearStaging(paths);
  await step('staging-cleared');
  await removeRotationJournal(paths);
  return removed;
}

/** Removes the old key only where that place still holds it (a one-key file may already hold the new key). */
async function retire(journal: RotationJournal, protector: KeyProtector): Promise<boolean> {
  if (journal.from.keyId === journal.to.keyId) return false;
  const old = await protector.load(journal.from.keyId).catch((err: unknown) => {
    if (isSophonError(err) && err.code === 'vault_key_mismatch') return null;
    throw err;
  });
  if (!old) return false;
  old.fill(0);
  await protector.remove(journal.from.keyId);
  return true;
}

/** `Sophon.Vault.KeyProtector` in appsettings.json, through the one settings writer (every other key kept). */
async function setKeyProtector(paths: SophonPaths, kind: string): Promise<void> {
  await writeSettings(paths.settingsFile, [{ path: ['Sophon', 'Vault', 'KeyProtector'], value: kind }]);
}

const ROTATION_LOCK = 'rotation.lock';

/** One rotation at a time. A lock whose process is dead (kill -9) is taken over; its pid is in the file. */
async function lockRotation(paths: SophonPaths): Promise<() => Promise<void>> {
  await ensurePrivateDir(paths.securityDir);
  const file = join(paths.securityDir, ROTATION_LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await fsp.unlink(file).catch(() => undefined);
      };
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    const holder = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new SophonError('usage', `Another key rotation is running (process ${holder}); wait for it to finish.`);
    }
    await fsp.unlink(file).catch(() => undefined);
  }
  throw new SophonError('internal', `Could not take the key rotation lock ${file}; try again.`);
}

/**
 * The lock every writer of one vault file takes (proper-lockfile's layout: a `.write.lock` folder, stale
 * after 10 s). The rotation marks its own with a modification time ending in .777 s, so that a run after
 * a killed one can tell its predecessor's leftover from a live writer's lock and need not wait 10 s.
 */
const MARK_MS = 777;
const STALE_MS = 10_000;

async function lockForReseal(file: string): Promise<() => Promise<void>> {
  const dir = `${file}.write.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.mkdir(dir);
      break;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    const st = await fsp.stat(dir).catch(() => null);
    if (st && st.mtimeMs < Date.now() - STALE_MS) {
      await fsp.rmdir(dir).catch(() => undefined);
      continue;
    }
    if (attempt >= 300) throw new SophonError('internal', `Another Sophon process has been writing ${file} for too long; run \`sophon vault rotate-key\` again to finish the rotation.`);
    await new Promise((r) => setTimeout(r, Math.min(100, 5 * 1.3 ** attempt)));
  }
  const mark = new Date(Math.floor(Date.now() / 1000) * 1000 + MARK_MS);
  await fsp.utimes(dir, mark, mark);
  return async () => {
    await fsp.rmdir(dir).catch(() => undefined);
  };
}

/** Only called under the rotation lock: any marked lock folder is a killed rotation's, as no other rotation runs. */
async function clearDeadRotatorLocks(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (const name of await readDirOrEmpty(dir)) {
      if (!name.endsWith('.write.lock')) continue;
      const st = await fsp.stat(join(dir, name)).catch(() => null);
      if (st && Math.round(st.mtimeMs) % 1000 === MARK_MS) await fsp.rmdir(join(dir, name)).catch(() => undefined);
    }
  }
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return [];
    throw err;
  }
}
