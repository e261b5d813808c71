import { writeSync } from 'node:fs';
import type { CliIO } from './io';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Runs `work` with a spinner and what it waits for on stderr — on a terminal only: a pipe or a log
 * file never gets frames. The line is erased when the work ends, so only the result stays on screen.
 */
export async function spinner<T>(io: CliIO, what: string, work: () => Promise<T>): Promise<T> {
  const stop = startSpinner(io, what);
  try {
    return await work();
  } finally {
    stop();
  }
}

/** A spinner until the returned function is called (any number of times). */
export function startSpinner(io: CliIO, what: string): () => void {
  if (!io.isTTY || process.env.TERM === 'dumb') return () => {};
  let frame = 0;
  const draw = () => write(`\r${FRAMES[frame++ % FRAMES.length]} ${what}…\u001b[K`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  let running = true;
  return () => {
    if (!running) return;
    running = false;
    clearInterval(timer);
    write('\r\u001b[K');
  };
}

function write(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // a terminal that went away: nothing to show progress on
  }
}
