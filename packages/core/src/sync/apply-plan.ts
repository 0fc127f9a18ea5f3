import { setImmediate as yieldToLoop } from "node:timers/promises";
import { hasWrite, type Plan, type PlanEntry } from "../domain/plan";
import {
  classifyWriteFailure,
  judgeAttributeWrite,
  judgePropertyWrite,
  type RunStop,
  receiptForAnswer,
} from "../domain/write-outcome";
import { CoderDxError, type ErrorInfo, toErrorInfo } from "../errors";
import type {
  ChangeJournal,
  ChangeReceipt,
  Clock,
  DxTarget,
  Logger,
  NewChange,
  SyncStore,
} from "../ports";
import type { ChangeKind } from "../domain/run";

/** This many DX outages in a row (after retries) mean DX is down: stop instead of failing user by user. */
export const MAX_CONSECUTIVE_UNAVAILABLE = 10;
/**
 * Intents are inserted this many people at a time, just ahead of the workers. Where the store
 * commits on the event loop (Postgres, or SQLite before its journal's worker is up), small
 * batches keep each transaction short (about 2 ms): while one runs, no answer from DX is read
 * and no next write is sent, and at 800 writes a second that time is what separates the run
 * from its latency bound.
 */
const INTENT_BATCH = 64;
/** Receipts are settled in transactions of this many (or every 200 ms), for the same reason. */
const RECEIPT_BATCH = 32;

export interface ApplyDeps {
  dx: DxTarget;
  store: SyncStore;
  /** Where intents and receipts are committed; the store's own calls without one. */
  journal?: ChangeJournal;
  clock: Clock;
  log: Logger;
}

export interface ApplyOptions {
  runId: string;
  plan: Plan;
  /** The audit row for each planned write of a person (its intent, written `pending`). */
  intentRows: (entry: PlanEntry, outcome: "pending" | "skipped", error?: ErrorInfo) => NewChange[];
  concurrency: number;
  /** Whether DX's listing was read: who it showed decides what a 4xx means. */
  readBack: boolean;
  /** Stop starting writes (its reason, a string, says why); writes in flight land and are recorded. */
  stopSignal?: AbortSignal | undefined;
  /** Abort writes in flight: their rows stay `pending` for the next run to check. */
  abortSignal?: AbortSignal | undefined;
  /** Asked before every write: null to go on, or why to stop (a lost lease, a replaced file). */
  guard?: () => RunStop | null;
  onProgress?: (done: number, total: number) => void;
}

export interface ApplyResult {
  applied: number;
  rejected: number;
  unmatched: number;
  stop: RunStop | null;
}

function storeStop(error: unknown): RunStop {
  const info = toErrorInfo(error);
  return {
    status: "failed",
    error:
      info.code === "store_failed"
        ? info
        : { code: "store_failed", message: `the database failed: ${info.message}` },
  };
}

/**
 * Receipts are settled in small batches (one transaction per batch, or every 200 ms), not one
 * per person. A crash loses at most the receipts not yet committed; those intents stay
 * `pending`, and the next run settles them from DX's read-back: nothing is written twice,
 * nothing accepted is lost from the audit. The first store failure stops the run's writes.
 */
class ReceiptBook {
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
  add(receipts: ChangeReceipt[]): void {
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
      this.failed ??= storeStop(error);
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

/** The store's own calls as a journal: each commits on the event loop, when it is made. */
function storeJournal(store: SyncStore): ChangeJournal {
  return {
    insertChanges: async (rows) => store.insertChanges(rows),
    settleChanges: async (receipts) => store.settleChanges(receipts),
    close: async () => {},
  };
}

interface Intent {
  id: string;
  kind: ChangeKind;
  values: Record<string, string | null>;
}

function stopReason(signal: AbortSignal): string {
  return typeof signal.reason === "string" ? signal.reason : "the process is shutting down";
}

/**
 * Applies a plan's writes: intents recorded before each DX call, a fixed pool of workers
 * pulling the next person, every answer judged by `write-outcome` and settled in the store.
 * Never throws for DX or store failures: they end as receipts and a `stop`.
 */
export async function applyPlan(deps: ApplyDeps, options: ApplyOptions): Promise<ApplyResult> {
  const { dx, clock } = deps;
  const journal = deps.journal ?? storeJournal(deps.store);
  const writes = options.plan.entries.filter(hasWrite);
  const result: ApplyResult = { applied: 0, rejected: 0, unmatched: 0, stop: null };
  const book = new ReceiptBook(journal);
  const intents: Intent[][] = new Array(writes.length);
  let stop: RunStop | null = null;
  let consecutiveUnavailable = 0;

  /** Why no more writes may start, if there is a reason now. */
  const currentStop = (): RunStop | null => {
    if (stop) return stop;
    if (book.failed) stop = book.failed;
    else if (options.stopSignal?.aborted)
      stop = {
        status: "interrupted",
        error: {
          code: "interrupted",
          message: `${stopReason(options.stopSignal)}: writes in flight landed and were recorded; the next run finishes the job`,
        },
      };
    else stop = options.guard?.() ?? null;
    return stop;
  };

  // Intents go in ahead of the workers, a batch at a time, so the first write does not wait
  // for a 100,000-row insert.
  let next = 0;
  let ready = 0;
  let signalConsumed = () => {};
  const consumed = () =>
    new Promise<void>((resolve) => {
      signalConsumed = resolve;
    });
  let insertionDone = false;
  let signalReady = () => {};
  let readyChanged = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  const announce = () => {
    const resolve = signalReady;
    readyChanged = new Promise<void>((next) => {
      signalReady = next;
    });
    resolve();
  };
  const insertIntents = async () => {
    try {
      for (let from = 0; from < writes.length; from += INTENT_BATCH) {
        // Keep a few batches ready ahead of the workers, no more: the inserts spread over the run.
        while (ready - next > 4 * INTENT_BATCH && !currentStop()) await consumed();
        const batch = writes.slice(from, from + INTENT_BATCH);
        // Once stopped, the rest are recorded as skipped: every planned write has its row.
        const halted = currentStop();
        const perEntry = batch.map((entry) =>
          halted
            ? options.intentRows(entry, "skipped", halted.error)
            : options.intentRows(entry, "pending"),
        );
        const ids = await journal.insertChanges(perEntry.flat());
        let k = 0;
        perEntry.forEach((rows, i) => {
          intents[from + i] = rows.map((row) => ({
            id: ids[k++] as string,
            kind: row.kind,
            values: row.after ?? {},
          }));
          if (halted) intents[from + i] = [];
        });
        ready = from + batch.length;
        announce();
        await yieldToLoop();
      }
    } catch (error) {
      stop ??= storeStop(error);
    } finally {
      insertionDone = true;
      announce();
    }
  };

  const applyOne = async (entry: PlanEntry, list: Intent[]) => {
    const receipts: ChangeReceipt[] = [];
    let unknownUser: ErrorInfo | null = null;
    const listed = options.readBack ? entry.observed !== null : null;
    for (const intent of list) {
      const at = () => clock.now().toISOString();
      const halted = currentStop();
      if (halted || unknownUser) {
        receipts.push({
          changeId: intent.id,
          at: at(),
          outcome: "skipped",
          error: halted?.error ?? unknownUser,
          attempts: 0,
        });
        continue;
      }
      const person = {
        id: intent.id,
        kind: intent.kind,
        email: entry.email,
        coderUserId: entry.coderUserId,
      };
      try {
        const call = { signal: options.abortSignal };
        if (intent.kind === "attributes") {
          const { attempts, answer } = await dx.updateAttributes(entry.email, intent.values, call);
          receipts.push(
            receiptForAnswer(person, judgeAttributeWrite(intent.values, answer), attempts, at()),
          );
        } else {
          const { attempts, answer } = await dx.updateProperties(entry.email, intent.values, call);
          receipts.push(
            receiptForAnswer(person, judgePropertyWrite(intent.values, answer), attempts, at()),
          );
        }
        consecutiveUnavailable = 0;
      } catch (error) {
        const typed =
          error instanceof CoderDxError
            ? error
            : new CoderDxError("internal", toErrorInfo(error).message);
        const attempts = (error as { attempts?: number }).attempts ?? 1;
        const failure = classifyWriteFailure(typed, listed);
        consecutiveUnavailable = typed.code === "dx_unavailable" ? consecutiveUnavailable + 1 : 0;
        receipts.push({
          changeId: intent.id,
          at: at(),
          outcome: failure.outcome,
          error: failure.error,
          attempts,
          ...(failure.outcome === "pending" ? { note: failure.error.message } : {}),
          ...(failure.outcome === "unmatched"
            ? {
                state: {
                  type: "unmatched" as const,
                  email: entry.email,
                  coderUserId: entry.coderUserId,
                  attributes: entry.attributes?.after ?? {},
                },
              }
            : {}),
        });
        if (failure.outcome === "unmatched") unknownUser = failure.error; // the properties write would be refused too
        if (failure.stop)
          stop ??= {
            status: failure.outcome === "pending" ? "interrupted" : "failed",
            error:
              failure.outcome === "pending"
                ? {
                    code: "interrupted",
                    message:
                      "shutdown aborted writes still in flight after the drain deadline; their rows stay pending and the next run checks them against DX",
                  }
                : {
                    code: failure.error.code,
                    message: `stopped applying: ${failure.error.message}`,
                  },
          };
        else if (consecutiveUnavailable >= MAX_CONSECUTIVE_UNAVAILABLE)
          stop ??= {
            status: "failed",
            error: {
              code: "dx_unavailable",
              message: `stopped applying: ${MAX_CONSECUTIVE_UNAVAILABLE} writes in a row failed after their retries: ${failure.error.message}`,
            },
          };
      }
    }
    book.add(receipts);
    if (receipts.some((r) => r.outcome === "rejected")) result.rejected += 1;
    else if (receipts.some((r) => r.outcome === "unmatched")) result.unmatched += 1;
    else if (receipts.length > 0 && receipts.every((r) => r.outcome === "applied"))
      result.applied += 1;
  };

  let done = 0;
  const worker = async () => {
    for (;;) {
      if (next >= writes.length) return;
      if (next >= ready) {
        if (insertionDone) return;
        await readyChanged;
        continue;
      }
      const i = next++;
      if (ready - next <= 2 * INTENT_BATCH) signalConsumed();
      await applyOne(writes[i] as PlanEntry, intents[i] ?? []);
      done += 1;
      options.onProgress?.(done, writes.length);
    }
  };
  await Promise.all([
    insertIntents(),
    ...Array.from({ length: Math.max(1, Math.min(options.concurrency, writes.length)) }, worker),
  ]);
  result.stop = (await book.close()) ?? stop;
  return result;
}
