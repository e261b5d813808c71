import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AuditAckMessageSchema, AuditBatchMessageSchema, WRITER_LOST, type AuditAckMessage, type AuditBatchMessage } from '../../core/broker/audit-pipe';
import type { TrustedHead } from '../../core/audit/chain-store';
import type { AuditEntry } from '../../core/audit/audit-log';
import { errnoOf } from '../../core/errors';
import { errorFields, log } from '../../core/log/log';

/**
 * `sophon broker serve` on several cores: the command starts itself again as worker processes
 * (node:cluster) that share one listening socket; each worker is a whole broker (its own core, token
 * checks, vault reads). Nothing is shared in memory, so nothing can go stale between them: every worker
 * checks sophon.db's data_version on each request, so a token revoked by any process is refused by every
 * worker on its next request. Their audit batches go to this (primary) process, which relays them to the
 * checkpointing worker, the one writer of the broker's rows (audit-pipe.ts); each worker waits for its
 * batches to be acknowledged before it exits, and writes them itself if that writer is gone.
 */

/** Most workers `auto` starts: past this, the upstream and the callers need the cores more. */
const AUTO_MAX = 4;

/** Processes that serve for `Sophon.Broker.Workers` (1: this process alone; 0: one per core, at most 4). */
export function brokerProcessCount(setting: number): number {
  return setting > 0 ? setting : Math.max(1, Math.min(availableParallelism(), AUTO_MAX));
}

export function isBrokerWorker(): boolean {
  return cluster.isWorker;
}

/**
 * What a worker does: `serve` the port, or `checkpoint` sophon.db's WAL. The serving workers turn SQLite's
 * automatic checkpoint off (it copies the WAL into the database and fsyncs it, holding every call of the
 * worker that happens to commit past 1,000 pages for tens to hundreds of milliseconds); one more worker,
 * which serves nothing, checkpoints for them.
 */
export function brokerWorkerRole(): 'serve' | 'checkpoint' {
  return process.env.SOPHON_BROKER_ROLE === 'checkpoint' ? 'checkpoint' : 'serve';
}

/** How often the checkpointing worker moves the WAL into the database. */
const CHECKPOINT_EVERY_MS = 1_000;

/** In the checkpointing worker: checkpoints until the primary says stop, then once more. */
export async function checkpointUntilStopped(checkpoint: () => void, stop: Promise<void>): Promise<void> {
  // A checkpoint that cannot run now (a writer or reader in the way) is simply tried again next time.
  const attempt = () => {
    try {
      checkpoint();
    } catch (err) {
      // Tried again at the next interval.
      log('warn', 'broker.checkpoint_failed', errorFields(err));
    }
  };
  const timer = setInterval(attempt, CHECKPOINT_EVERY_MS);
  await stop;
  clearInterval(timer);
  attempt();
}

/**
 * In the checkpointing worker: appends the audit batches the primary sends (its own AuditPipe's, or those it
 * relays from serving workers), in the order they come, each once (by its id), and answers each with the
 * chain's new end or why it failed. Writing here may wait for SQLite's lock (busy_timeout): this process
 * serves no call.
 */
export function writeAuditBatches(commit: (rows: readonly AuditEntry[], batchId: string) => TrustedHead | undefined): void {
  process.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null || (m as { sophon?: unknown }).sophon !== 'audit-batch') return;
    const parsed = AuditBatchMessageSchema.safeParse(m);
    if (!parsed.success) {
      // Answered as failed, so the primary writes the batch itself; one with no seq stays unacknowledged
      // there until its drain gives up waiting and writes it.
      log('error', 'broker.audit_batch_invalid', { issues: parsed.error.issues.length });
      const seq = (m as { seq?: unknown }).seq;
      if (typeof seq === 'number') process.send?.({ sophon: 'audit-ack', seq, head: null, failed: 'invalid_batch' } satisfies AuditAckMessage);
      return;
    }
    let ack: AuditAckMessage;
    try {
      ack = { sophon: 'audit-ack', seq: parsed.data.seq, head: commit(parsed.data.rows, parsed.data.id) ?? null };
    } catch (err) {
      // The primary writes this batch itself.
      log('warn', 'broker.audit_write_failed', errorFields(err));
      ack = { sophon: 'audit-ack', seq: parsed.data.seq, head: null, failed: errnoOf(err) ?? 'error' };
    }
    process.send?.(ack);
  });
  // Messages that came before this listener went to no one: the primary holds its batches until this.
  process.send?.({ sophon: 'audit-writer-ready' });
}

interface StopMessage {
  sophon: 'broker-stop';
}
const STOP: StopMessage = { sophon: 'broker-stop' };
const isStop = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as Partial<StopMessage>).sophon === 'broker-stop';

/**
 * In a worker: resolves when the primary says stop, or is gone. Call it first, before opening anything,
 * so a stop sent while the worker starts is not missed. Ctrl-C reaches the whole process group, but only
 * the primary acts on it: a worker that died of the signal would lose its unwritten audit rows.
 */
export function untilPrimaryStops(): Promise<void> {
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  return new Promise<void>((resolve) => {
    process.on('message', (m: unknown) => {
      if (isStop(m)) resolve();
    });
    process.once('disconnect', () => resolve());
  });
}

/** In a worker, after its server closed and its audit is flushed: lets the process end (the IPC channel would keep it alive). */
export function leavePrimary(): void {
  if (cluster.worker?.isConnected()) cluster.worker.disconnect();
}

export interface BrokerWorkers {
  port: number;
  /** Resolves with an exit code when a worker stopped on its own (a crash): the others are stopped by then. */
  failed: Promise<number>;
  /** Asks every worker to stop (each finishes its calls in flight and flushes its audit) and waits for them. */
  close(): Promise<void>;
}

function forkWorker(role: 'serve' | 'checkpoint'): Worker {
  // Workers print nothing on stdout (the primary prints the address once); their errors go to our stderr.
  cluster.setupPrimary({ stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return cluster.fork({ SOPHON_BROKER_ROLE: role });
}

export interface Checkpointer {
  /** Resolves if the checkpointing worker stopped on its own (then the caller checkpoints itself again). */
  lost: Promise<void>;
  /** Hands it a batch of audit rows to write (see writeAuditBatches); false if it is gone. */
  send(message: AuditBatchMessage): boolean;
  /** Every message it sends back (unchecked: the caller parses it). */
  onMessage(listener: (message: unknown) => void): void;
  /** Stops it (after one last checkpoint) and waits for it. */
  close(): Promise<void>;
}

/**
 * The worker that checkpoints sophon.db's WAL, so the serving processes can turn SQLite's automatic
 * checkpoint off (see brokerWorkerRole), and writes their audit batches.
 */
export function startCheckpointer(): Checkpointer {
  const w = forkWorker('checkpoint');
  let stopping = false;
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  // A send to a worker that just died fails with EPIPE; its 'exit' (lost) recovers what it did not acknowledge.
  w.on('error', () => undefined);
  // Batches wait here until the worker listens for them (it opens sophon.db first).
  let early: AuditBatchMessage[] | undefined = [];
  w.on('message', (m: unknown) => {
    if (!early || typeof m !== 'object' || m === null || (m as { sophon?: unknown }).sophon !== 'audit-writer-ready') return;
    for (const batch of early) w.send(batch);
    early = undefined;
  });
  return {
    lost: exited.then(() => (stopping ? new Promise<void>(() => undefined) : undefined)),
    send: (message) => {
      if (!w.isConnected()) return false;
      if (early) early.push(message);
      else w.send(message);
      return true;
    },
    onMessage: (listener) => w.on('message', listener),
    close: async () => {
      stopping = true;
      if (w.isConnected()) w.send(STOP);
      const timer = setTimeout(() => w.process.kill('SIGKILL'), 15_000);
      timer.unref();
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * In a serving worker: hands an audit batch to the primary (which relays it to the writer); false when the
 * primary is gone. A send that fails later shows as the channel's 'disconnect' (see onPrimaryMessage).
 */
export function sendToPrimary(message: AuditBatchMessage): boolean {
  if (!process.connected || !process.send) return false;
  process.send(message, undefined, {}, () => undefined);
  return true;
}

/** In a serving worker: every message from the primary, and `gone` once the channel to it is closed. */
export function onPrimaryMessage(listener: (message: unknown) => void, gone: () => void): void {
  process.on('message', listener);
  process.once('disconnect', gone);
}

/** The light check the primary makes before relaying (the writer checks the whole batch with zod). */
function batchEnvelope(m: unknown): { seq: number } | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { sophon, seq } = m as { sophon?: unknown; seq?: unknown };
  return sophon === 'audit-batch' && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? { seq } : undefined;
}

/**
 * In the primary: the serving workers' audit batches go to the writer under a number of the primary's own
 * (seqs are per worker), and each answer goes back to the worker that sent the batch, under its number.
 * When the writer is gone every serving worker is told, and writes its rows (unacknowledged ones under
 * their ids, so one the writer committed is not written twice) itself.
 */
function relayAuditBatches(writer: Checkpointer, serving: ReadonlySet<Worker>): (from: Worker, message: unknown) => void {
  const routes = new Map<number, { worker: Worker; seq: number }>();
  let next = 0;
  let gone = false;
  const tell = (w: Worker, message: object) => {
    if (w.isConnected()) w.send(message);
  };
  writer.onMessage((m) => {
    const ack = AuditAckMessageSchema.safeParse(m);
    if (!ack.success) return;
    const route = routes.get(ack.data.seq);
    if (!route) return;
    routes.delete(ack.data.seq);
    tell(route.worker, { ...ack.data, seq: route.seq } satisfies AuditAckMessage);
  });
  void writer.lost.then(() => {
    gone = true;
    routes.clear();
    for (const w of serving) tell(w, WRITER_LOST);
  });
  return (from, m) => {
    const envelope = batchEnvelope(m);
    if (!envelope) return;
    if (!gone) {
      const seq = next++;
      routes.set(seq, { worker: from, seq: envelope.seq });
      if (writer.send({ ...(m as AuditBatchMessage), seq })) return;
      routes.delete(seq);
    }
    // The writer is gone (the worker was told, or is about to be): it writes this batch itself.
    tell(from, { sophon: 'audit-ack', seq: envelope.seq, head: null, failed: 'writer_lost' } satisfies AuditAckMessage);
  };
}

/**
 * In the primary: starts the checkpointing worker (also the audit writer) and `count` serving workers (this
 * command again), and resolves once all serving ones listen on the same port. A serving worker that stops
 * on its own stops the broker; the writer stopping does not (the serving workers then write themselves).
 */
export async function startBrokerWorkers(count: number, log: (line: string) => void): Promise<BrokerWorkers> {
  const workers = new Set<Worker>();
  let stopping = false;
  let reportFailure: (code: number) => void = () => undefined;
  const failed = new Promise<number>((resolve) => {
    reportFailure = resolve;
  });
  const exited = new Map<Worker, Promise<void>>();
  const writer = startCheckpointer();
  const relay = relayAuditBatches(writer, workers);

  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const w of workers) if (w.isConnected()) w.send(STOP);
    // A worker lets calls in flight finish for at most 5 s, then waits for its audit: 15 s is a worker that hangs.
    const timer = setTimeout(() => {
      for (const w of workers) w.process.kill('SIGKILL');
    }, 15_000);
    timer.unref();
    await Promise.all([...exited.values()]);
    clearTimeout(timer);
    // Last: every serving worker's rows are acknowledged (or written by the worker) by now.
    await writer.close();
  };

  let port = 0;
  await new Promise<void>((resolve, reject) => {
    let listening = 0;
    for (let i = 0; i < count; i++) {
      const w = forkWorker('serve');
      workers.add(w);
      // A send to a worker that just died fails with EPIPE; its 'exit' says the rest.
      w.on('error', () => undefined);
      w.on('message', (m: unknown) => relay(w, m));
      exited.set(
        w,
        new Promise<void>((done) =>
          w.once('exit', (code, signal) => {
            workers.delete(w);
            done();
            if (stopping) return;
            const exitCode = typeof code === 'number' && code !== 0 ? code : 1;
            if (listening < count) {
              reject(Object.assign(new Error(`A broker worker could not start (${signal ?? `exit ${code}`}).`), { exitCode }));
            } else {
              log(`A broker worker stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the broker.`);
              reportFailure(exitCode);
            }
            void stopAll();
          }),
        ),
      );
      w.once('listening', (address) => {
        port = address.port;
        if (++listening === count) resolve();
      });
    }
  });
  return { port, failed, close: stopAll };
}
