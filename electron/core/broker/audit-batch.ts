import type { AuditEntry, AuditLog } from '../audit/audit-log';
import { logFailure } from '../log/log';

/**
 * One transaction per 100 ms (or 5,000 rows): a row costs ~9.5 µs of CPU in batches of 100 and ~6.6 µs in
 * batches of 400 (the audit table has four indexes), and a busy broker writes ~5,000 rows a second.
 */
const DELAY_MS = 100;
const MAX_BATCH = 5_000;

/** A batch that met another writer is tried again this soon (plus up to as much again, so two workers drift apart). */
const BUSY_RETRY_MS = 5;

/** Rows committed as one transaction under an id (AuditPipe's batches): appended once, whoever writes them. */
export interface IdentifiedBatch {
  id: string;
  rows: readonly AuditEntry[];
}

/**
 * Audit rows of a busy broker, written in batches (one transaction every 100 ms, or at once
 * when many are waiting). Nothing is dropped: `flush()` writes what is queued, `close()` flushes last.
 */
export class AuditBatcher {
  private queue: AuditEntry[] = [];
  /** Batches handed back by another writer, each written as it was (its id with it), before the queue. */
  private batches: IdentifiedBatch[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audit: Pick<AuditLog, 'recordMany'> & Partial<Pick<AuditLog, 'tryRecordMany' | 'flushHead'>>,
    private readonly options: { delayMs?: number; maxBatch?: number } = {},
  ) {}

  record(entry: AuditEntry): void {
    this.queue.push({ ...entry, at: entry.at ?? Date.now() });
    if (this.queue.length >= (this.options.maxBatch ?? MAX_BATCH)) this.flush();
    else this.timer ??= setTimeout(() => this.write(false), this.options.delayMs ?? DELAY_MS).unref();
  }

  /** A batch to write whole under its id (skipped by the database if that id was committed already); written by the next flush. */
  recordBatch(batch: IdentifiedBatch): void {
    this.batches.push(batch);
    this.timer ??= setTimeout(() => this.write(false), this.options.delayMs ?? DELAY_MS).unref();
  }

  /** Writes everything queued now; throws if the database refuses (the rows stay queued). */
  flush(): void {
    this.write(true);
  }

  private write(throwOnError: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.batches.length > 0) {
      if (!this.attempt(this.batches[0]!.rows, this.batches[0]!.id, throwOnError)) return;
      this.batches.shift();
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    let written = false;
    try {
      written = this.attempt(batch, undefined, throwOnError);
    } finally {
      if (!written) this.queue = batch.concat(this.queue);
    }
  }

  /** One transaction; false (and a retry timer) if it must wait for another writer or failed. */
  private attempt(rows: readonly AuditEntry[], id: string | undefined, throwOnError: boolean): boolean {
    try {
      if (throwOnError || !this.audit.tryRecordMany) this.audit.recordMany(rows, id);
      else if (!this.audit.tryRecordMany(rows, id)) {
        // Another process is writing: on the timer the batch waits here, without blocking calls, rather than
        // in SQLite's busy handler; flush() (and a full queue) writes whatever it takes.
        this.timer ??= setTimeout(() => this.write(false), BUSY_RETRY_MS * (1 + Math.random())).unref();
        return false;
      }
      return true;
    } catch (err) {
      // A busy database: keep the rows and try again rather than lose them.
      logFailure('audit.flush_failed', err, { rows: rows.length, willRetry: true });
      this.timer ??= setTimeout(() => this.write(false), 100).unref();
      if (throwOnError) throw err;
      return false;
    }
  }

  get pending(): number {
    return this.queue.length + this.batches.reduce((n, b) => n + b.rows.length, 0);
  }

  close(): void {
    this.flush();
    this.audit.flushHead?.();
  }
}
