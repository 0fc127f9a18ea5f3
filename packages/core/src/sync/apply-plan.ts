import { hasWrite, type Plan, type PlanEntry } from "../domain/plan";
import { intentRows } from "../domain/run-record";
import {
  classifyWriteFailure,
  judgeAttributeWrite,
  judgePropertyWrite,
  personOutcome,
  receiptForAnswer,
  receiptForFailure,
  receiptForSkip,
  type RunStop,
  stopAfterFailure,
  stopForInterrupt,
  stopForLease,
} from "../domain/write-outcome";
import { CoderDxError, type ErrorInfo, toErrorInfo } from "../errors";
import type { ChangeJournal, ChangeReceipt, Clock, DxTarget, SyncStore } from "../ports";
import { type Intent, IntentFeed, type ReadyPerson } from "./intent-feed";
import { ReceiptBook } from "./receipt-book";

export interface ApplyDeps {
  dx: DxTarget;
  store: SyncStore;
  /** Where intents and receipts are committed; the store's own calls without one. */
  journal?: ChangeJournal;
  clock: Clock;
}

export interface ApplyOptions {
  runId: string;
  /** When the run decided: the time its intent rows carry. */
  at: string;
  plan: Plan;
  concurrency: number;
  /** Whether DX's listing was read: who it showed decides what a 4xx means. */
  readBack: boolean;
  /** Stop starting writes (its reason, a string, says why); writes in flight land and are recorded. */
  stopSignal?: AbortSignal | undefined;
  /** Abort writes in flight: their rows stay `pending` for the next run to check. */
  abortSignal?: AbortSignal | undefined;
  /** Asked before every write: null while the lease is held, or why it is not. */
  leaseCheck?: () => ErrorInfo | null;
  onProgress?: (done: number, total: number) => void;
}

export interface ApplyResult {
  applied: number;
  rejected: number;
  unmatched: number;
  stop: RunStop | null;
  /** When DX confirmed each person whose writes it all took, by email. */
  confirmed: Map<string, string>;
}

/** The store's own calls as a journal: each commits on the event loop, when it is made. */
function storeJournal(store: SyncStore): ChangeJournal {
  return {
    insertChanges: async (rows) => store.insertChanges(rows),
    settleChanges: async (receipts) => store.settleChanges(receipts),
    close: async () => {},
  };
}

/**
 * Applies a plan's writes: each person's intents recorded before their DX calls (`IntentFeed`),
 * a fixed pool of writers taking the next person, every answer judged by `write-outcome` and
 * settled in the store (`ReceiptBook`). Never throws for DX or store failures: they end as
 * receipts and a `stop`, the first reason no more writes may start.
 */
export async function applyPlan(deps: ApplyDeps, options: ApplyOptions): Promise<ApplyResult> {
  const { dx, clock } = deps;
  const journal = deps.journal ?? storeJournal(deps.store);
  const people = options.plan.entries.filter(hasWrite);
  const result: ApplyResult = {
    applied: 0,
    rejected: 0,
    unmatched: 0,
    stop: null,
    confirmed: new Map(),
  };
  const book = new ReceiptBook(journal);
  let stop: RunStop | null = null;
  let unavailableInARow = 0;
  const now = () => clock.now().toISOString();

  /** Why no more writes may start, if there is a reason now; once there is, it stays. */
  const currentStop = (): RunStop | null => {
    if (stop) return stop;
    if (feed.failed || book.failed) stop = feed.failed ?? book.failed;
    else if (options.stopSignal?.aborted) stop = stopForInterrupt(options.stopSignal.reason);
    else {
      // Checked last: losing the lease also aborts the stop signal, and the lease is the reason.
      const lost = options.leaseCheck?.() ?? null;
      stop = lost ? stopForLease(lost) : null;
    }
    return stop;
  };

  const feed = new IntentFeed(
    people,
    journal,
    (entry, stopped) =>
      stopped
        ? intentRows(options.runId, options.at, entry, "skipped", stopped.error)
        : intentRows(options.runId, options.at, entry, "pending"),
    currentStop,
  );

  /**
   * The lease is checked once more as each attempt leaves, after whatever it waited for (the
   * budget, a back-off, a 429): a process paused there must not write beside the new holder.
   */
  const beforeSend = () => {
    const lost = options.leaseCheck?.() ?? null;
    if (lost) throw new CoderDxError(lost.code, lost.message);
  };

  /** One DX call for one intent, judged. */
  const send = async (entry: PlanEntry, intent: Intent): Promise<ChangeReceipt> => {
    const call = { signal: options.abortSignal, beforeSend };
    const person = { ...intent, email: entry.email, coderUserId: entry.coderUserId };
    if (intent.kind === "attributes") {
      const { attempts, answer } = await dx.updateAttributes(entry.email, intent.values, call);
      return receiptForAnswer(person, judgeAttributeWrite(intent.values, answer), attempts, now());
    }
    const { attempts, answer } = await dx.updateProperties(entry.email, intent.values, call);
    return receiptForAnswer(person, judgePropertyWrite(intent.values, answer), attempts, now());
  };

  /** A person's writes in order; a DX that does not know them refuses the rest too. */
  const writePerson = async ({ entry, intents }: ReadyPerson) => {
    const receipts: ChangeReceipt[] = [];
    let unknown: ErrorInfo | null = null;
    const listed = options.readBack ? entry.observed !== null : null;
    for (const intent of intents) {
      const halted = currentStop();
      if (halted || unknown) {
        receipts.push(receiptForSkip(intent.id, now(), halted?.error ?? unknown));
        continue;
      }
      try {
        receipts.push(await send(entry, intent));
        unavailableInARow = 0;
      } catch (error) {
        const typed =
          error instanceof CoderDxError
            ? error
            : new CoderDxError("internal", toErrorInfo(error).message);
        const failure = classifyWriteFailure(typed, listed);
        unavailableInARow = typed.code === "dx_unavailable" ? unavailableInARow + 1 : 0;
        const attempts = (error as { attempts?: number }).attempts ?? 1; // as many as were sent
        const offered = entry.attributes?.after ?? {};
        const who = { id: intent.id, email: entry.email, coderUserId: entry.coderUserId };
        receipts.push(receiptForFailure(who, failure, attempts, now(), offered));
        if (failure.outcome === "unmatched") unknown = failure.error;
        stop ??= stopAfterFailure(failure, unavailableInARow);
      }
    }
    book.add(receipts);
    const outcome = personOutcome(receipts);
    if (outcome) result[outcome] += 1;
    if (outcome === "applied") result.confirmed.set(entry.email, receipts.at(-1)?.at as string);
  };

  let done = 0;
  const writer = async () => {
    for (let person = await feed.next(); person; person = await feed.next()) {
      await writePerson(person);
      done += 1;
      options.onProgress?.(done, people.length);
    }
  };
  const writers = Math.max(1, Math.min(options.concurrency, people.length));
  await Promise.all([feed.fill(), ...Array.from({ length: writers }, writer)]);
  result.stop = (await book.close()) ?? stop ?? feed.failed;
  return result;
}
