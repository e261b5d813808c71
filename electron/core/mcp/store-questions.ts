import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConnectionStateSchema } from '../../../shared/connections';
import type { ChoiceQuestion, ConnectionChoices } from '../api/connection-choice';
import { atomicWriteFile, ensurePrivateDir, processAlive, readSmallFile } from '../fs/secure-fs';
import { logFailure } from '../log/log';

/**
 * "Which of these connections?" asked across processes: `sophon mcp` (one process per agent) cannot reach the
 * dashboard's in-memory ConnectionChoices, so it leaves the question in SOPHON_HOME/run/mcp-questions/<id>.json
 * (0600 in a 0700 folder; ids, labels and accounts, never a secret). The dashboard picks it up, asks it with the
 * same dialog as a skill's `connection.choose`, and writes the answer next to it (<id>.answer.json). Files, not a
 * socket: they work whichever process starts first, and a question whose asker died is ignored by its pid.
 */
const dirOf = (home: string) => join(home, 'run', 'mcp-questions');

const OptionSchema = z.object({ id: z.string().max(200), label: z.string().max(500), account: z.string().max(500).nullable(), state: ConnectionStateSchema });
const StoredQuestion = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,80}$/),
  userId: z.string().max(64),
  pid: z.number().int().positive(),
  expiresAt: z.number(),
  skill: z.string().max(100),
  tool: z.string().max(100),
  serviceId: z.string().max(100),
  serviceName: z.string().max(200),
  options: z.array(OptionSchema).min(1).max(100),
});
type StoredQuestion = z.infer<typeof StoredQuestion>;
const StoredAnswer = z.object({ connection: z.string().max(200).nullable() });

export type StoreAnswer = { kind: 'picked'; connectionId: string } | { kind: 'cancelled' } | { kind: 'timeout' } | { kind: 'aborted' };

/** The asking side (`sophon mcp`): leaves the question, waits for its answer (bounded, cancellable), cleans up. */
export async function askThroughStore(home: string, userId: string, question: ChoiceQuestion, opts: { id?: string; timeoutMs: number; signal?: AbortSignal; pollMs?: number }): Promise<StoreAnswer> {
  const dir = dirOf(home);
  await ensurePrivateDir(join(home, 'run'));
  await ensurePrivateDir(dir);
  const id = opts.id ?? randomUUID();
  const file = join(dir, `${id}.json`);
  const answerFile = join(dir, `${id}.answer.json`);
  const stored: StoredQuestion = { id, userId, pid: process.pid, expiresAt: Date.now() + opts.timeoutMs, ...question };
  await atomicWriteFile(file, JSON.stringify(stored) + '\n');
  try {
    const offered = new Set(question.options.map((o) => o.id));
    for (;;) {
      if (opts.signal?.aborted) return { kind: 'aborted' };
      if (Date.now() >= stored.expiresAt) return { kind: 'timeout' };
      const answer = await readAnswer(answerFile);
      // An answer that is not one of the offered connections is no answer (the file is the person's UI's, but checked anyway).
      if (answer && answer.connection === null) return { kind: 'cancelled' };
      if (answer && answer.connection !== null && offered.has(answer.connection)) return { kind: 'picked', connectionId: answer.connection };
      await sleep(opts.pollMs ?? 250, opts.signal);
    }
  } finally {
    await Promise.all([rm(file, { force: true }), rm(answerFile, { force: true })]);
  }
}

async function readAnswer(path: string): Promise<z.infer<typeof StoredAnswer> | null> {
  try {
    const data = await readSmallFile(path);
    return data ? StoredAnswer.parse(JSON.parse(data.toString('utf8'))) : null;
  } catch {
    return null;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

/**
 * The answering side (the dashboard): every `pollMs` it looks for questions of live askers, asks each once through
 * `choices` (the person's open windows, as for a skill), and writes the answer for the asker. A question nobody
 * could hear yet (no window open) is asked again on a later look, so a window opened afterwards still gets it.
 */
export function bridgeStoreQuestions(home: string, choices: ConnectionChoices, pollMs = 1000): { stop: () => void } {
  const dir = dirOf(home);
  const inFlight = new Map<string, AbortController>();
  let stopped = false;
  const look = async () => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return; // no question was ever asked here
    }
    for (const name of names) {
      const m = /^([a-z0-9-]{1,80})\.json$/.exec(name);
      if (!m || inFlight.has(m[1]!) || names.includes(`${m[1]}.answer.json`)) continue;
      let q: StoredQuestion;
      try {
        const data = await readSmallFile(join(dir, name));
        if (!data) continue;
        q = StoredQuestion.parse(JSON.parse(data.toString('utf8')));
      } catch {
        continue; // being written, or not ours to read
      }
      const left = q.expiresAt - Date.now();
      if (q.id !== m[1] || left <= 0 || !processAlive(q.pid)) continue;
      const abort = new AbortController();
      inFlight.set(q.id, abort);
      const { id, userId, pid: _pid, expiresAt: _e, ...question } = q;
      void choices.ask(userId, question, left, abort.signal).then(
        async (outcome) => {
          if (outcome.kind === 'picked' || outcome.kind === 'cancelled') {
            await atomicWriteFile(join(dir, `${id}.answer.json`), JSON.stringify({ connection: outcome.kind === 'picked' ? outcome.connectionId : null }) + '\n').catch((err: unknown) => logFailure('mcp.answer_write_failed', err));
          }
          // Unattended: asked again on a later look. Timeout, aborted: the asker gives up on its own clock.
          if (outcome.kind === 'unattended') inFlight.delete(id);
        },
        (err: unknown) => logFailure('mcp.question_failed', err),
      );
    }
    // The asker gave up or died: its question leaves the person's windows.
    for (const [id, abort] of inFlight) {
      if (names.includes(`${id}.json`)) continue;
      abort.abort();
      inFlight.delete(id);
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    void look().finally(() => (running = false));
  }, pollMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      for (const abort of inFlight.values()) abort.abort();
      inFlight.clear();
    },
  };
}
