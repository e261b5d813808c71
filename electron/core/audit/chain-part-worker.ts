// A worker thread of the parallel `audit verify` (parallel-verify.ts): takes parts of the chain in turn
// from a shared counter, checks each on its own read-only connection, and posts what it found once, at
// the end. Built for the CLI as dist/cli/audit-verify-worker.cjs (scripts/build.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { openReader } from '../db/database';
import type { PartRange } from './chain-parts';
import { checkPart, type PartCheck } from './chain-store';

export interface PartWorkerData {
  file: string;
  parts: PartRange[];
  /** One Int32: the index of the next part to take. Set past the end to stop every worker. */
  next: SharedArrayBuffer;
}

/** What a worker posts: [part index, what the part holds] for each part it took. */
export type PartWorkerReply = [index: number, check: PartCheck][];

function run({ file, parts, next }: PartWorkerData): PartWorkerReply {
  const counter = new Int32Array(next);
  const checked: PartWorkerReply = [];
  const db = openReader(file);
  try {
    for (let i = Atomics.add(counter, 0, 1); i < parts.length; i = Atomics.add(counter, 0, 1)) {
      const check = checkPart(db, parts[i]!.after, parts[i]!.upTo);
      checked.push([i, check]);
      // Parts after a suspect one are not needed: the serial walk takes over before it.
      if (check.state === 'suspect') Atomics.store(counter, 0, parts.length);
    }
  } finally {
    db.close();
  }
  return checked;
}

// The input comes from the thread that started this one (the same build), not from outside the process.
parentPort?.postMessage(run(workerData as PartWorkerData));
