import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ConnectionStateSchema } from '../../../shared/connections';
import type { ChoiceQuestion, ConnectionChoices } from '../api/connection-choice';
import { atomicWriteFile } from '../fs/secure-fs';
import { logFailure } from '../log/log';
import { askThroughFiles, everyInterval, openQuestions, readRunFile, runFolder } from './run-questions';

/**
 * "Which of these connections?" asked across processes: `sophon mcp` (one process per agent) cannot reach the
 * dashboard's or app's in-memory ConnectionChoices, so it leaves the question in SOPHON_HOME/run/mcp-questions/<id>.json
 * (0600 in a 0700 folder; ids, labels and accounts, never a secret). The dashboard or app picks it up, asks it with the
 * same dialog as a skill's `connection.choose`, and writes the answer next to it (<id>.answer.json). Files, not a
 * socket: they work whichever process starts first, and a question whose asker died is ignored by its pid.
 */
const FOLDER = 'mcp-questions';
const ID = /^[a-z0-9-]{1,80}$/;

const OptionSchema = z.object({ id: z.string().max(200), label: z.string().max(500), account: z.string().max(500).nullable(), state: ConnectionStateSchema });
const StoredQuestion = z.object({
  id: z.string().regex(ID),
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
  const id = opts.id ?? randomUUID();
  const stored: StoredQuestion = { id, userId, pid: process.pid, expiresAt: Date.now() + opts.timeoutMs, ...question };
  const offered = new Set(question.options.map((o) => o.id));
  const outcome = await askThroughFiles(
    home,
    FOLDER,
    id,
    stored,
    async (answerFile): Promise<StoreAnswer | null> => {
      const answer = await readRunFile(answerFile, StoredAnswer);
      // An answer that is not one of the offered connections is no answer (the file is the person's UI's, but checked anyway).
      if (answer?.connection === null) return { kind: 'cancelled' };
      return answer && offered.has(answer.connection) ? { kind: 'picked', connectionId: answer.connection } : null;
    },
    { deadline: stored.expiresAt, pollMs: opts.pollMs ?? 250, signal: opts.signal },
  );
  return typeof outcome === 'string' ? { kind: outcome } : outcome;
}

/**
 * The answering side (the dashboard, the desktop app): every `pollMs` it looks for questions of live askers, asks
 * each once through `choices` (the person's open windows, as for a skill), and writes the answer for the asker. A
 * question nobody could hear yet (no window open) is asked again on a later look, so a window opened afterwards
 * still gets it.
 */
export function bridgeStoreQuestions(home: string, choices: ConnectionChoices, pollMs = 1000): { stop: () => void } {
  const dir = runFolder(home, FOLDER);
  const inFlight = new Map<string, AbortController>();
  let stopped = false;
  const look = async () => {
    const { names, open } = await openQuestions(home, FOLDER, ID, StoredQuestion, (id, q) => q.id === id && q.expiresAt > Date.now());
    for (const { id, question: q } of open) {
      if (stopped || inFlight.has(id) || names.includes(`${id}.answer.json`)) continue;
      const abort = new AbortController();
      inFlight.set(id, abort);
      const { userId, pid: _pid, expiresAt, id: _id, ...question } = q;
      void choices.ask(userId, question, expiresAt - Date.now(), abort.signal).then(
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
  const desk = everyInterval(look, pollMs, 'mcp.question_bridge_failed');
  void desk.poke();
  return {
    stop: () => {
      stopped = true;
      void desk.stop();
      for (const abort of inFlight.values()) abort.abort();
      inFlight.clear();
    },
  };
}
