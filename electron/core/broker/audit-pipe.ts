import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AUDIT_ACTIONS, type AuditEntry } from '../audit/audit-log';
import type { TrustedHead } from '../audit/chain-store';
import { log } from '../log/log';

/**
 * The broker's audit rows, written by another process (`broker serve`'s checkpointing worker) instead of
 * between calls: a row costs the serving process a place in a message (~1 µs) instead of its hash and its
 * SQLite insert (~14 µs a row, and a batch held every call for milliseconds). The writer commits each
 * batch with the same chained append as any writer (AuditLog), so the hash chain stays one line, and
 * answers with the chain's new end, which this process signs into the head (the writer has no vault key).
 * Nothing is dropped: a batch stays here until the writer says it is committed; if the writer fails a
 * batch or is gone, this process writes what is unacknowledged itself. Nothing is written twice either:
 * each batch has an id, committed in the same transaction as its rows (audit_batches), so a batch the
 * writer committed just before it died is skipped when this process writes it again.
 */

/**
 * Rows go to the writer this often (or at once when this many wait), one message a batch: a commit costs
 * the writer ~40 µs a row in batches of 30 and ~8 µs in batches of 400, and each commit makes the serving
 * process rebuild its caches (sophon.db changed), so batches are as large as the inline writer's.
 */
const DELAY_MS = 100;
const MAX_BATCH = 5_000;

const AuditEntrySchema = z.strictObject({
  userId: z.string().max(1_000),
  action: z.enum(AUDIT_ACTIONS),
  outcome: z.enum(['ok', 'failed', 'denied', 'aborted']),
  connectionId: z.string().max(1_000).nullable().optional(),
  serviceId: z.string().max(1_000).nullable().optional(),
  skill: z.string().max(1_000).nullable().optional(),
  tool: z.string().max(1_000).nullable().optional(),
  detail: z.string().max(2_000).nullable().optional(),
  at: z.number().int().nonnegative(),
});

/** Serving process → writer: rows to append, in order, once (`id`: this pipe's random prefix and the batch's number). */
export const AuditBatchMessageSchema = z.strictObject({
  sophon: z.literal('audit-batch'),
  seq: z.number().int().nonnegative(),
  id: z.string().regex(/^[0-9a-f]{16}-\d{1,15}$/),
  rows: z.array(AuditEntrySchema).max(MAX_BATCH),
});
export type AuditBatchMessage = z.infer<typeof AuditBatchMessageSchema>;

/** Writer → serving process: the batch is committed (and where the chain ends now), or it could not be. */
export const AuditAckMessageSchema = z.strictObject({
  sophon: z.literal('audit-ack'),
  seq: z.number().int().nonnegative(),
  head: z.strictObject({ rowId: z.number().int().nonnegative(), hash: z.string().regex(/^[0-9a-f]{64}$/) }).nullable(),
  failed: z.string().max(1_000).optional(),
});
export type AuditAckMessage = z.infer<typeof AuditAckMessageSchema>;

/** Primary → serving worker (`broker serve` with several): the writer is gone, write every row yourself. */
export const WRITER_LOST = { sophon: 'audit-writer-lost' } as const;
export const isWriterLost = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as { sophon?: unknown }).sophon === WRITER_LOST.sophon;

/** Where rows go when the writer cannot take them: this process's own batched writer (AuditBatcher). */
export interface InlineAuditWriter {
  record(entry: AuditEntry): void;
  recordBatch(batch: { id: string; rows: readonly AuditEntry[] }): void;
  flush(): void;
}

type StampedEntry = AuditEntry & { at: number };

export class AuditPipe {
  private queue: StampedEntry[] = [];
  private readonly unacked = new Map<number, { id: string; rows: StampedEntry[] }>();
  private seq = 0;
  /** Batch ids are this plus the seq: unique across processes and runs without coordination. */
  private readonly idPrefix = randomBytes(8).toString('hex');
  private timer: NodeJS.Timeout | undefined;
  /** Set once the writer is gone: every row is written here from then on. */
  private alone = false;
  private waiting: (() => void)[] = [];

  constructor(
    /** Sends a batch to the writer; false when it cannot (the writer is gone). */
    private readonly send: (message: AuditBatchMessage) => boolean,
    private readonly inline: InlineAuditWriter,
    private readonly onHead: (head: TrustedHead) => void,
  ) {}

  record(entry: AuditEntry): void {
    if (this.alone) return this.inline.record(entry);
    this.queue.push({ ...entry, at: entry.at ?? Date.now() });
    if (this.queue.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), DELAY_MS).unref();
  }

  /** Sends what is queued now (the writer commits it; `drained()` says when). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.alone) return this.inline.flush();
    if (this.queue.length === 0) return;
    const rows = this.queue;
    this.queue = [];
    const seq = this.seq++;
    const id = `${this.idPrefix}-${seq}`;
    this.unacked.set(seq, { id, rows });
    if (!this.send({ sophon: 'audit-batch', seq, id, rows })) this.writerLost();
  }

  /** The writer's answer (already checked against AuditAckMessageSchema). */
  acknowledged(ack: AuditAckMessage): void {
    const batch = this.unacked.get(ack.seq);
    if (!batch) return;
    this.unacked.delete(ack.seq);
    if (ack.failed !== undefined) {
      log('warn', 'audit.writer_failed', { rows: batch.rows.length, code: ack.failed });
      this.inline.recordBatch(batch);
      this.flushInline();
    } else if (ack.head) this.onHead(ack.head);
    this.settle();
  }

  /**
   * The writer stopped: what it did not acknowledge (each batch under its id: skipped if the writer committed
   * it before it died), and every row from now on, is written by this process.
   */
  writerLost(): void {
    if (this.alone) return;
    this.alone = true;
    const pending = [...this.unacked.keys()].sort((a, b) => a - b).map((seq) => this.unacked.get(seq)!);
    const rows = pending.reduce((n, b) => n + b.rows.length, 0) + this.queue.length;
    if (rows > 0) log('warn', 'audit.writer_lost', { rows });
    this.unacked.clear();
    for (const batch of pending) this.inline.recordBatch(batch);
    for (const row of this.queue) this.inline.record(row);
    this.queue = [];
    this.flushInline();
    this.settle();
  }

  /** The inline writer's flush; one the database refuses now keeps its rows and tries again on its own (AuditBatcher). */
  private flushInline(): void {
    try {
      this.inline.flush();
    } catch {
      // Logged by the batcher (audit.flush_failed), rows kept and retried.
    }
  }

  /**
   * Resolves once every row recorded so far is committed (by the writer, or here). Flushes first. A writer
   * that has not answered within `patienceMs` is taken as gone: this process writes what is unacknowledged.
   */
  drained(patienceMs = 10_000): Promise<void> {
    this.flush();
    if (this.unacked.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.writerLost(), patienceMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get pending(): number {
    return this.queue.length + [...this.unacked.values()].reduce((n, b) => n + b.rows.length, 0);
  }

  private settle(): void {
    if (this.unacked.size > 0 || this.queue.length > 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
