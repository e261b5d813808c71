import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { errnoOf } from '../errors';
import { atomicWriteFile, ensurePrivateDir, processAlive, readSmallFile } from '../fs/secure-fs';
import { logFailure } from '../log/log';

/**
 * The plumbing that `sophon mcp` and the processes showing the UI share to ask the person across processes
 * (approvals, "which connection?", the app's person steps): the asker leaves `<id>.json` in a folder of
 * SOPHON_HOME/run (0700; the file 0600, written atomically, never a secret) with its pid, the UI side may write
 * `<id>.answer.json` next to it, and the asker removes both however the wait ends. A file whose asker died is
 * ignored (and removed by the UI side's next look).
 */
export const runFolder = (home: string, folder: string) => join(home, 'run', folder);

/** A file parsed by its schema; null when absent, half-written by a crashed process, or not ours. */
export async function readRunFile<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const data = await readSmallFile(path);
    return data ? schema.parse(JSON.parse(data.toString('utf8'))) : null;
  } catch {
    return null;
  }
}

export async function removeRunFile(path: string): Promise<void> {
  await fsp.unlink(path).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') throw err;
  });
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface WaitOptions {
  deadline: number;
  pollMs: number;
  signal?: AbortSignal;
}

/** Looks with `check` every `pollMs` until it gives a value (an answer that came in time wins), the deadline passes, or `signal` aborts. */
export async function pollUntil<A>(check: () => Promise<A | null> | A | null, opts: WaitOptions): Promise<A | 'timeout' | 'aborted'> {
  for (;;) {
    const answer = await check();
    if (answer !== null) return answer;
    if (opts.signal?.aborted) return 'aborted';
    if (Date.now() >= opts.deadline) return 'timeout';
    await pause(Math.min(opts.pollMs, Math.max(1, opts.deadline - Date.now())), opts.signal);
  }
}

/**
 * The asking side: leaves `question` as run/<folder>/<id>.json, waits for `answer` (given the path of the answer
 * file; it may look elsewhere, e.g. at sophon.db), and removes both files however the wait ends.
 */
export async function askThroughFiles<A>(home: string, folder: string, id: string, question: object, answer: (answerFile: string) => Promise<A | null> | A | null, opts: WaitOptions): Promise<A | 'timeout' | 'aborted'> {
  const dir = runFolder(home, folder);
  await ensurePrivateDir(join(home, 'run'));
  await ensurePrivateDir(dir);
  const file = join(dir, `${id}.json`);
  const answerFile = join(dir, `${id}.answer.json`);
  await atomicWriteFile(file, JSON.stringify(question) + '\n');
  try {
    return await pollUntil(() => answer(answerFile), opts);
  } finally {
    for (const path of [file, answerFile]) await removeRunFile(path).catch((e: unknown) => logFailure('mcp.question_cleanup_failed', e));
  }
}

export interface OpenQuestions<T> {
  /** Every name in the folder (to see which questions have an answer). */
  names: string[];
  /** The questions of live askers that `accept` kept, oldest file name order. */
  open: { id: string; question: T }[];
}

/**
 * The UI side's look: the questions `<id>.json` in run/<folder>/ whose `id` matches `idPattern`, that parse, whose
 * asker lives (a dead one's file is removed), and that `accept` keeps (its own id inside, not expired).
 */
export async function openQuestions<T extends { pid: number }>(home: string, folder: string, idPattern: RegExp, schema: z.ZodType<T>, accept: (id: string, q: T) => boolean): Promise<OpenQuestions<T>> {
  const dir = runFolder(home, folder);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return { names: [], open: [] }; // nothing was ever asked here
  }
  const open: OpenQuestions<T>['open'] = [];
  for (const name of names) {
    const id = name.slice(0, -'.json'.length);
    if (!name.endsWith('.json') || !idPattern.test(id)) continue;
    const q = await readRunFile(join(dir, name), schema);
    if (!q) continue;
    if (!processAlive(q.pid)) {
      await removeRunFile(join(dir, name)).catch(() => undefined);
      continue;
    }
    if (accept(id, q)) open.push({ id, question: q });
  }
  return { names, open };
}

/** Runs `look` every `intervalMs` (and on `poke`), never two at once: a poke during a look runs it again after. */
export function everyInterval(look: () => Promise<void>, intervalMs: number, failure: string): { poke: () => Promise<void>; stop: () => Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const poke = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await look();
        } while (again && !stopped);
      } catch (err) {
        logFailure(failure, err);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void poke(), intervalMs);
  // A stopping app or dashboard is not held open by its desk.
  timer.unref();
  return {
    poke,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
