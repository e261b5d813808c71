import { watch, type FSWatcher } from 'node:fs';
import type { Core } from '../sophon-core';
import { errorFields, log, logFailure } from '../log/log';

/**
 * For the desktop app: watches the folders of the stores linked connections read from, and re-checks
 * them when a file there changes (Claude Code or Codex rewrote their login, `gh auth logout`, …), so the
 * state and expiry shown are current without waiting for a call. Never refreshes anything. Returns a
 * function that stops watching; call it again after importing to pick up new folders.
 */
export async function watchImportedStores(core: Pick<Core, 'imports'>, options: { userId?: string; debounceMs?: number; onChecked?: (ids: string[]) => void } = {}): Promise<() => void> {
  const importer = await core.imports();
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        const ids = await importer.recheck(options.userId).catch((err: unknown) => {
          logFailure('import_watch.recheck_failed', err, { userId: options.userId });
          return [];
        });
        options.onChecked?.(ids);
      });
    }, options.debounceMs ?? 250);
    timer.unref();
  };
  for (const folder of importer.watchedFolders(options.userId)) {
    try {
      const w = watch(folder, { persistent: false }, schedule);
      w.on('error', (err) => {
        logFailure('import_watch.watch_failed', err, { folder });
        w.close();
      });
      watchers.push(w);
    } catch (err) {
      // A folder that is gone is noticed on the next read; nothing to watch there now.
      log('debug', 'import_watch.not_watched', { folder, ...errorFields(err) });
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
