import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteFile, ensurePrivateDir, readSmallFile } from '../fs/secure-fs';

/**
 * A long-running door (`broker serve`, `sophon dashboard`) leaves its address in SOPHON_HOME/run/<name>.json
 * (0600; an address and a process id, no secret) while it runs, so other processes can point at it. A file
 * whose process is gone (a crash, kill -9) is ignored.
 */
const RunAddress = z.object({ url: z.string().url(), port: z.number().int(), pid: z.number().int().positive() });
export type RunAddress = z.infer<typeof RunAddress>;

export type RunName = 'broker' | 'dashboard';

const fileIn = (home: string, name: RunName) => join(home, 'run', `${name}.json`);

export async function announceAddress(home: string, name: RunName, url: string, port: number): Promise<() => Promise<void>> {
  await ensurePrivateDir(join(home, 'run'));
  await atomicWriteFile(fileIn(home, name), JSON.stringify({ url, port, pid: process.pid }) + '\n');
  return async () => {
    // Only our own: a second one started meanwhile wrote its address over ours.
    if ((await runningAddress(home, name))?.pid === process.pid) await rm(fileIn(home, name), { force: true });
  };
}

export async function runningAddress(home: string, name: RunName): Promise<RunAddress | null> {
  let parsed: RunAddress;
  try {
    const data = await readSmallFile(fileIn(home, name));
    if (!data) return null;
    parsed = RunAddress.parse(JSON.parse(data.toString('utf8')));
  } catch {
    return null;
  }
  try {
    process.kill(parsed.pid, 0);
    return parsed;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? parsed : null;
  }
}
