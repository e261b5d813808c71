import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentApprovalSchema, type EventPayload } from '../../../shared/contract';
import { SophonError } from '../errors';
import { atomicWriteFile, createFileExclusive, ensurePrivateDir, processAlive } from '../fs/secure-fs';
import { askThroughFiles, everyInterval, openQuestions, readRunFile, removeRunFile, runFolder } from './run-questions';

/**
 * Approvals asked of the person in the app, for MCP clients that cannot ask them themselves. `sophon mcp` is a
 * separate process from the app or dashboard that shows the question, so the two meet in files under
 * SOPHON_HOME/run (as `broker serve` leaves its address in run/broker.json): a question is a file the MCP
 * process writes, the answer a file the UI's process writes next to it (first answer wins), and each UI process
 * says which users it has a window for. Folders 0700, files 0600; no file holds a secret (method, host, path
 * and a summary of the body: its size or field names).
 */
export type AgentApproval = EventPayload<'agent.approval'>;
export type ApprovalQuestion = Omit<AgentApproval, 'request' | 'phase' | 'expiresAt'>;
export type ApprovalOutcome = 'approved' | 'declined' | 'timeout' | 'unattended' | 'aborted';

const QuestionFile = AgentApprovalSchema.extend({ userId: z.string(), pid: z.number().int().positive() });
type QuestionFile = z.infer<typeof QuestionFile>;
const AnswerFile = z.object({ approve: z.boolean() });
const ListenerFile = z.object({ pid: z.number().int().positive(), users: z.array(z.string()) });

const REQUEST = /^approval-[0-9a-f-]{36}$/;
const QUESTIONS = 'approvals';
const listenersDir = (home: string) => runFolder(home, 'approval-listeners');
const answerFile = (home: string, request: string) => join(runFolder(home, QUESTIONS), `${request}.answer.json`);

/** Whether a live app or dashboard process has a window of this user open to ask. */
export async function approvalListener(home: string, userId: string): Promise<boolean> {
  let names: string[];
  try {
    names = await fsp.readdir(listenersDir(home));
  } catch {
    return false;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const l = await readRunFile(join(listenersDir(home), name), ListenerFile);
    if (l && l.users.includes(userId) && processAlive(l.pid)) return true;
  }
  return false;
}

/**
 * Asks the person in their app and waits for the answer, at most `timeoutMs`: `unattended` (at once) when no
 * window of theirs is open anywhere. The question's files are removed however it ends.
 */
export async function askInApp(home: string, userId: string, question: ApprovalQuestion, timeoutMs: number, signal?: AbortSignal, pollMs = 100): Promise<ApprovalOutcome> {
  if (!(await approvalListener(home, userId))) return 'unattended';
  const request = `approval-${randomUUID()}`;
  const deadline = Date.now() + timeoutMs;
  const file: QuestionFile = { ...question, request, phase: 'open', expiresAt: new Date(deadline).toISOString(), userId, pid: process.pid };
  return askThroughFiles(home, QUESTIONS, request, file, async (path) => {
    const answer = await readRunFile(path, AnswerFile);
    return answer ? (answer.approve ? 'approved' : 'declined') : null;
  }, { deadline, pollMs, signal });
}

/** The questions open now, of every user (those whose asking process died are removed). */
async function openApprovals(home: string): Promise<QuestionFile[]> {
  const { open } = await openQuestions(home, QUESTIONS, REQUEST, QuestionFile, (request, q) => q.request === request && Date.parse(q.expiresAt) > Date.now());
  return open.map((o) => o.question).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
}

const payloadOf = ({ userId: _u, pid: _p, ...payload }: QuestionFile): AgentApproval => payload;

export interface ApprovalDesk {
  /** The user's open questions (for a window opened after they were asked). */
  openFor(userId: string): Promise<AgentApproval[]>;
  /** The person's answer; refused as not_found when the question is gone, answered, or another user's. */
  answer(userId: string, request: string, approve: boolean): Promise<'approved' | 'declined'>;
  /** Looks at once (tests, and a window that just subscribed). */
  poke(): void;
  stop(): Promise<void>;
}

export interface ApprovalDeskOptions {
  home: string;
  /** The users with a window open in this process now. */
  users: () => string[];
  /** Sends `agent.approval` to one user's windows. */
  emit: (userId: string, payload: AgentApproval) => void;
  intervalMs?: number;
}

/**
 * The UI side, run by the app and the dashboard: says which users it can ask (run/approval-listeners/<pid>.json,
 * rewritten only when that changes), announces new questions to their user's windows and withdraws the ones
 * that ended, and writes the person's answers.
 */
export function startApprovalDesk(options: ApprovalDeskOptions): ApprovalDesk {
  const { home } = options;
  const mine = join(listenersDir(home), `${process.pid}.json`);
  const shown = new Map<string, { userId: string; payload: AgentApproval }>();
  let listening = '';

  const tick = async () => {
    const users = [...new Set(options.users())].sort();
    const key = JSON.stringify(users);
    if (key !== listening) {
      listening = key;
      if (users.length) {
        await ensurePrivateDir(join(home, 'run'));
        await ensurePrivateDir(listenersDir(home));
        await atomicWriteFile(mine, JSON.stringify({ pid: process.pid, users }) + '\n');
      } else await removeRunFile(mine);
    }
    const open = await openApprovals(home);
    const now = new Set(open.map((q) => q.request));
    // Every window of the user drops a question once it ended, whoever answered it.
    for (const [request, s] of shown) {
      if (now.has(request)) continue;
      shown.delete(request);
      options.emit(s.userId, { ...s.payload, phase: 'closed' });
    }
    for (const q of open) {
      if (shown.has(q.request) || !users.includes(q.userId)) continue;
      shown.set(q.request, { userId: q.userId, payload: payloadOf(q) });
      options.emit(q.userId, payloadOf(q));
    }
  };
  const desk = everyInterval(tick, options.intervalMs ?? 250, 'mcp.approval_desk_failed');
  void desk.poke();

  return {
    openFor: async (userId) => (await openApprovals(home)).filter((q) => q.userId === userId).map(payloadOf),
    answer: async (userId, request, approve) => {
      const q = REQUEST.test(request) ? (await openApprovals(home)).find((o) => o.request === request) : undefined;
      const gone = () => new SophonError('not_found', `No open approval "${request.slice(0, 100)}": it was answered in another window, timed out, or its agent went away.`);
      if (!q || q.userId !== userId) throw gone();
      if (!(await createFileExclusive(answerFile(home, request), JSON.stringify({ approve }) + '\n'))) throw gone();
      void desk.poke();
      return approve ? 'approved' : 'declined';
    },
    poke: () => void desk.poke(),
    stop: async () => {
      await desk.stop();
      await removeRunFile(mine).catch(() => undefined);
    },
  };
}
