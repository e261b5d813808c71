import { execFileSync } from 'node:child_process';

/** tmux, for tests that need a real terminal (hidden prompts, pickers): what a person sees and types. */
export const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

/** The session's screen once it shows `pattern`; fails with the screen after `timeoutMs`. */
export async function screenUntil(session: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-t', session);
    if (pattern.test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`screen never showed ${pattern}:\n${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ends a tmux session if it still runs (a test's cleanup: it may have ended, or never started). */
export function endSession(session: string): void {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
}
