import { type RunStop, stopForStore } from "../domain/write-outcome";
import type { ChangeJournal, ChangeReceipt } from "../ports";

/** Receipts are settled in transactions of this many (or every 200 ms). */
const RECEIPT_BATCH = 32;

/**
 * Receipts are settled in small batches (one transaction per batch, or every 200 ms), not one
 * per person. A crash loses at most the receipts not yet committed; those intents stay
 * `pending`, and the next run settles them from DX's read-back: nothing is written twice,
 * nothing accepted is lost from the audit. The first store failure stops the run's writes.
 */
export class ReceiptBook {
  private buffer: ChangeReceipt[] = [];
  private readonly timer: NodeJS.Timeout;
  private scheduled: NodeJS.Immediate | null = null;
  /** The last batch handed to the journal: batches commit in order, so it settles last. */
  private last: Promise<void> = Promise.resolve();
  failed: RunStop | null = null;

  constructor(private readonly journal: ChangeJournal) {
    this.timer = setInterval(() => this.flush(), 200);
    this.timer.unref();
  }

  /**
   * Settles in the loop's check phase, after the workers have read their answers and sent
   * their next writes: a journal that commits on the event loop never does so between an
   * answer and the next write.
   */
  add(receipts: readonly ChangeReceipt[]): void {
    for (const receipt of receipts) this.buffer.push(receipt);
    if (this.buffer.length >= RECEIPT_BATCH && !this.scheduled)
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        this.flush();
      });
  }

  private flush(): void {
    if (this.buffer.length === 0 || this.failed) return;
    const batch = this.buffer;
    this.buffer = [];
    this.last = this.journal.settleChanges(batch).catch((error: unknown) => {
      this.failed ??= stopForStore(error);
    });
  }

  /** Settles what is left and waits for every batch; the store's failure, if any batch failed. */
  async close(): Promise<RunStop | null> {
    clearInterval(this.timer);
    if (this.scheduled) clearImmediate(this.scheduled);
    this.flush();
    await this.last;
    return this.failed;
  }
}
