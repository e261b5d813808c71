import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteFile, ensurePrivateDir, processAlive, readSmallFile } from '../fs/secure-fs';

/**
 * A long-running process (`broker serve`, `sophon dashboard`, the desktop app) leaves a note in
 * SOPHON_HOME/run/<name>.json (0600; an address or a user id and a process id, no secret) while it runs, so other
 * processes can point at it. A file whose process is gone (a crash, kill -9) is ignored.
 */
const RunAddress = z.object({ url: z.string().url(), port: z.number().int(), pid: z.number().int().positive() });
export type RunAddress = z.infer<typeof RunAddress>;
/** The desktop app has no address: it says which user its window is for (it shows the MCP door's person steps). */
const RunApp = z.object({ userId: z.string().min(1).max(64), pid: z.number().int().positive() });
export type RunApp = z.infer<typeof RunApp>;

const SHAPES = { broker: RunAddress, dashboard: RunAddress, app: RunApp };
export type RunName = keyof typeof SHAPES;
type RunNote<N extends RunName> = z.infer<(typeof SHAPES)[N]>;

const fileIn = (home: string, name: RunName) => join(home, 'run', `${name}.json`);

/**
 * Leaves this process's note; the returned function removes it (only if it is still ours). The removal is done
 * before the function returns (synchronous file calls): a quitting app does not wait for promises.
 */
export async function announceRun<N extends RunName>(home: string, name: N, note: Omit<RunNote<N>, 'pid'>): Promise<() => Promise<void>> {
  await ensurePrivateDir(join(home, 'run'));
  await atomicWriteFile(fileIn(home, name), JSON.stringify({ ...note, pid: process.pid }) + '\n');
  return async () => {
    const file = fileIn(home, name);
    let pid: unknown;
    try {
      pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    } catch {
      return; // gone, or not a note
    }
    // Only our own: a second one started meanwhile wrote its note over ours.
    if (pid === process.pid) rmSync(file, { force: true });
  };
}

/** The note of a live process, or null (none, unreadable, or its process is gone). */
export async function runningNote<N extends RunName>(home: string, name: N): Promise<RunNote<N> | null> {
  try {
    const data = await readSmallFile(fileIn(home, name));
    if (!data) return null;
    const parsed = SHAPES[name].parse(JSON.parse(data.toString('utf8'))) as RunNote<N>;
    return processAlive(parsed.pid) ? parsed : null;
  } catch {
    return null;
  }
}

export const announceAddress = (home: string, name: 'broker' | 'dashboard', url: string, port: number): Promise<() => Promise<void>> => announceRun(home, name, { url, port });

export const runningAddress = (home: string, name: 'broker' | 'dashboard'): Promise<RunAddress | null> => runningNote(home, name);
