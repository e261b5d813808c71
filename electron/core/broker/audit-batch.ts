import type { AuditEntry, AuditLog } from '../audit/audit-log';

/**
 * Audit rows of a busy broker, written in batches (one transaction every few milliseconds, or at once
 * when many are waiting). Nothing is dropped: `flush()` writes what is queued, `close()` flushes last.
 */
export class AuditBatcher {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audit: Pick<AuditLog, 'recordMany'>,
    private readonly options: { delayMs?: number; maxBatch?: number } = {},
  ) {}

  record(entry: AuditEntry): void {
    this.queue.push({ ...entry, at: entry.at ?? Date.now() });
    if (this.queue.length >= (this.options.maxBatch ?? 2_000)) this.flush();
    else this.timer ??= setTimeout(() => this.write(false), this.options.delayMs ?? 25).unref();
  }

  /** Writes everything queued now; throws if the database refuses (the rows stay queued). */
  flush(): void {
    this.write(true);
  }

  private write(throwOnError: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.audit.recordMany(batch);
    } catch (err) {
      // A busy database: keep the rows and try again rather than lose them.
      this.queue = batch.concat(this.queue);
      this.timer ??= setTimeout(() => this.write(false), 100).unref();
      if (throwOnError) throw err;
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  close(): void {
    this.flush();
  }
}
