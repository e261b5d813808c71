import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { Database } from '../db/database';
import { errorFields, log } from '../log/log';
import { joinParts, splitIds } from './chain-parts';
import type { PartWorkerData } from './chain-part-worker';
import { CHAIN_START, chainMaxId, verifyChain, type ChainReport, type PartCheck, type TrustedHead } from './chain-store';

/** Below this many ids the serial walk is as quick as starting threads (each loads the addon and opens the database). */
export const PARALLEL_MIN_IDS = 100_000;
/** Ids per part: 16 reads of 1,024; about 60 parts for 1,000,000 rows, so a slow thread holds up little. */
export const PART_IDS = 16_384;
/** Parts for even the widest id range (a forged row far ahead): each part walks past its holes. */
const MAX_PARTS = 4_096;
/** SQLite reads and SHA-256 spread over cores; beyond a few threads the disk and the joins gain little. */
const MAX_WORKERS = 8;
/** The worker's bundle, next to the CLI's (scripts/build.mjs). */
export const WORKER_BUNDLE = 'audit-verify-worker.cjs';

export interface ParallelVerifyOptions {
  /** Trails whose highest id is below this are walked serially (default PARALLEL_MIN_IDS). */
  minIds?: number;
  /** Ids per part (default PART_IDS). */
  partIds?: number;
  /** Worker threads (default: the cores, at most 8). */
  workers?: number;
  /** A built worker bundle to run instead of the worker found next to this module (the benchmark times the CLI's). */
  workerBundle?: string;
}

// The sources under tsx or vitest (ES modules), the CLI bundle (CommonJS, __filename is the bundle's), or
// the desktop app's bundle (CommonJS, import.meta.url left undefined).
const MODULE_FILE = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);

type WorkerEntry = { bundle: string } | { source: string; tsx: string };

/**
 * Where the worker's code is: the built bundle next to this one, or (from the sources) the TypeScript
 * file, loaded through tsx. Null where there is neither (the desktop app's bundle has no worker yet).
 */
function workerEntry(): WorkerEntry | null {
  const dir = dirname(MODULE_FILE);
  if (MODULE_FILE.endsWith('.ts')) {
    const tsx = tsxRegisterModule();
    return tsx === null ? null : { source: pathToFileURL(join(dir, 'chain-part-worker.ts')).href, tsx };
  }
  const bundle = join(dir, WORKER_BUNDLE);
  return existsSync(bundle) ? { bundle } : null;
}

/**
 * The URL of tsx's ES module API (`register()`), as an import() would resolve `tsx/esm/api`: a worker
 * started from code evaluated as a string resolves packages from the working directory, not from here,
 * and tsx's CommonJS build of that API does not load.
 */
function tsxRegisterModule(): string | null {
  try {
    const manifest = createRequire(MODULE_FILE).resolve('tsx/package.json');
    const exported = TsxExports.parse(JSON.parse(readFileSync(manifest, 'utf8'))).exports['./esm/api'].import.default;
    return pathToFileURL(join(dirname(manifest), exported)).href;
  } catch {
    return null;
  }
}
const TsxExports = z.object({ exports: z.object({ './esm/api': z.object({ import: z.object({ default: z.string() }) }) }) });

// A worker thread does not inherit the main thread's loader hooks: from the sources it registers tsx
// itself, then imports the worker's TypeScript.
const FROM_SOURCE = `const { workerData } = require('node:worker_threads');
import(workerData.boot.tsx).then((tsx) => { tsx.register(); return import(workerData.boot.source); });`;

function startWorker(entry: WorkerEntry, data: PartWorkerData): Worker {
  if ('bundle' in entry) return new Worker(entry.bundle, { workerData: data });
  return new Worker(FROM_SOURCE, { eval: true, workerData: { ...data, boot: entry } });
}

const PartCheckSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('empty') }),
  z.object({ state: z.literal('linked'), firstPrev: z.string(), lastId: z.number().int(), lastHash: z.string(), rows: z.number().int().min(1) }),
  z.object({ state: z.literal('suspect') }),
]);
const ReplySchema = z.array(z.tuple([z.number().int().min(0), PartCheckSchema]));

/**
 * `verifyChain` with the rows checked on worker threads first: the ids are split into parts, each
 * worker checks whole parts on its own read-only connection (every row hashes right and links to the
 * one before it), and the parts are joined here in id order (each part's first row must link to the end
 * of the part before). The serial walk then starts where the joined parts end: at the end of the trail
 * (it still reads rows written meanwhile and compares the head), or before the first part that did not
 * check out, so a break is found and named by the same walk, at the same row, as without threads.
 * Small trails, in-memory databases and builds without the worker are walked serially from the start.
 * The calling thread only waits, so a server answering `audit.verify` stays responsive meanwhile.
 */
export async function verifyChainParallel(db: Database, head: TrustedHead | null, options: ParallelVerifyOptions = {}): Promise<ChainReport> {
  const entry = options.workerBundle === undefined ? workerEntry() : { bundle: options.workerBundle };
  const maxId = chainMaxId(db);
  if (entry === null || db.memory || maxId < (options.minIds ?? PARALLEL_MIN_IDS)) return verifyChain(db, head);
  const parts = splitIds(maxId, options.partIds ?? PART_IDS, MAX_PARTS);
  const workers = Math.max(1, Math.min(options.workers ?? Math.min(availableParallelism(), MAX_WORKERS), parts.length));
  const checks = await checkParts(entry, { file: db.name, parts, next: new SharedArrayBuffer(4) }, workers);
  const joined = joinParts(checks, CHAIN_START);
  log('debug', 'audit.verify_parts', { parts: parts.length, workers, joinedRows: joined.position.rows, stoppedAt: joined.stoppedAt });
  return verifyChain(db, head, joined.position);
}

/** Each part's check, by index; a part no worker reported (one failed to start or crashed) stays undefined. */
async function checkParts(entry: WorkerEntry, data: PartWorkerData, workers: number): Promise<(PartCheck | undefined)[]> {
  const checks: (PartCheck | undefined)[] = new Array<PartCheck | undefined>(data.parts.length);
  const failed = (err: unknown): void => log('warn', 'audit.verify_worker_failed', errorFields(err));
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let worker: Worker;
      try {
        worker = startWorker(entry, data);
      } catch (err) {
        failed(err);
        return resolve();
      }
      worker.once('message', (reply: unknown) => {
        const parsed = ReplySchema.safeParse(reply);
        if (!parsed.success) log('warn', 'audit.verify_worker_reply', { issue: parsed.error.issues[0]?.message });
        else for (const [i, check] of parsed.data) if (i < checks.length) checks[i] = check;
        resolve();
      });
      worker.once('error', (err) => {
        // Its parts stay unchecked: the serial walk covers them.
        failed(err);
        resolve();
      });
      worker.once('exit', () => resolve());
    });
  await Promise.all(Array.from({ length: workers }, one));
  return checks;
}
