import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteFile, ensurePrivateDir, readSmallFile } from '../core/fs/secure-fs';

/**
 * While `broker serve` runs it leaves its address in SOPHON_HOME/run/broker.json (0600; an address and
 * a process id, no secret), so `broker mint` can say where to send the token. A file whose process is
 * gone (a crash, kill -9) is ignored.
 */
const BrokerAddress = z.object({ url: z.string().url(), port: z.number().int(), pid: z.number().int().positive() });
export type BrokerAddress = z.infer<typeof BrokerAddress>;

const fileIn = (home: string) => join(home, 'run', 'broker.json');

export async function announceBroker(home: string, url: string, port: number): Promise<() => Promise<void>> {
  await ensurePrivateDir(join(home, 'run'));
  await atomicWriteFile(fileIn(home), JSON.stringify({ url, port, pid: process.pid }) + '\n');
  return async () => {
    // Only our own: a second broker started meanwhile wrote its address over ours.
    if ((await runningBroker(home))?.pid === process.pid) await rm(fileIn(home), { force: true });
  };
}

export async function runningBroker(home: string): Promise<BrokerAddress | null> {
  let parsed: BrokerAddress;
  try {
    const data = await readSmallFile(fileIn(home));
    if (!data) return null;
    parsed = BrokerAddress.parse(JSON.parse(data.toString('utf8')));
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
