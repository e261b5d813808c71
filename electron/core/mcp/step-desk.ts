import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { announceRun, runningNote } from '../config/run-address';
import { askThroughFiles, everyInterval, openQuestions, type WaitOptions } from './run-questions';

/**
 * The desktop app's side of the MCP door's person steps (add a connection, sign in to one again). The app has no
 * address to link to, so while it runs it says so in SOPHON_HOME/run/app.json (its pid and user), and `sophon mcp`
 * leaves the step in run/mcp-steps/<id>.json: the kind, the route of the app's page for it, the user, the asker's
 * pid and when it expires; never a secret. The app's step desk opens its window at that route, once per step; the
 * MCP process learns that the step is done from sophon.db, as for the dashboard, and removes the file.
 */
const FOLDER = 'mcp-steps';
const ID = /^[a-z0-9-]{1,80}$/;
/** Only the app's own pages for a step; a file in run/ cannot send the window anywhere else. */
const ROUTE = /^#\/(add|connection)\/[a-z0-9][a-z0-9.-]{0,63}$/;

const StepFile = z.object({
  id: z.string().regex(ID),
  kind: z.enum(['add', 'reauth']),
  route: z.string().regex(ROUTE),
  userId: z.string().min(1).max(64),
  pid: z.number().int().positive(),
  expiresAt: z.number(),
});
export type AppStep = Pick<z.infer<typeof StepFile>, 'kind' | 'route'>;

/** Whether the desktop app runs for this user (its window can take the step). */
export async function appRunsFor(home: string, userId: string): Promise<boolean> {
  return (await runningNote(home, 'app'))?.userId === userId;
}

/** Whether the app can show this route (the routes of person-steps.ts; a service id the catalog could not have cannot). */
export const appShows = (route: string): boolean => ROUTE.test(route);

/**
 * The asking side (`sophon mcp`): leaves the step for the app's window and waits until `done` (read from the
 * store) says it is done, the wait ends, or the call is cancelled; the file is removed however it ends.
 */
export async function askStepInApp(home: string, userId: string, step: AppStep, done: () => Promise<boolean> | boolean, opts: { timeoutMs: number; pollMs: number; signal?: AbortSignal }): Promise<'done' | 'timeout' | 'aborted'> {
  const id = randomUUID();
  const wait: WaitOptions = { deadline: Date.now() + opts.timeoutMs, pollMs: opts.pollMs, signal: opts.signal };
  const file: z.infer<typeof StepFile> = { id, ...step, userId, pid: process.pid, expiresAt: wait.deadline };
  return askThroughFiles(home, FOLDER, id, StepFile.parse(file), async () => ((await done()) ? 'done' : null), wait);
}

export interface StepDesk {
  /** Looks at once (tests). */
  poke(): Promise<void>;
  /** Stops looking and withdraws run/app.json (at once, before the returned promise: the app may be quitting). */
  stop(): Promise<void>;
}

export interface StepDeskOptions {
  home: string;
  /** The user the app runs as: only their steps are shown. */
  userId: string;
  /** Opens or focuses the window at the route. */
  show: (route: string) => void;
  intervalMs?: number;
}

/**
 * The app's side: announces the app in run/app.json, then every `intervalMs` shows each new step of its user
 * whose asker lives once (a step still open on the next look is not shown again, so the person can close the
 * window). A step file whose asker died is removed.
 */
export async function startStepDesk(options: StepDeskOptions): Promise<StepDesk> {
  const { home, userId } = options;
  const withdraw = await announceRun(home, 'app', { userId });
  const shown = new Set<string>();
  const look = async () => {
    const { open } = await openQuestions(home, FOLDER, ID, StepFile, (id, s) => s.id === id && s.userId === userId && s.expiresAt > Date.now());
    const now = new Set(open.map((o) => o.id));
    for (const id of shown) if (!now.has(id)) shown.delete(id);
    for (const { id, question: step } of open) {
      if (shown.has(id)) continue;
      shown.add(id);
      options.show(step.route);
    }
  };
  const desk = everyInterval(look, options.intervalMs ?? 250, 'mcp.step_desk_failed');
  void desk.poke();
  return {
    poke: desk.poke,
    stop: async () => {
      const stopping = desk.stop();
      await Promise.all([withdraw(), stopping]);
    },
  };
}
