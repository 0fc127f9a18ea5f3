import { Worker } from "node:worker_threads";
import {
  type ChangeJournal,
  type ChangeReceipt,
  CoderDxError,
  type ErrorInfo,
  type NewChange,
  type SyncStore,
} from "@coder-dx/core";
import { workerScript } from "./worker-script";

/**
 * The store the journal's worker opens for itself: the run's SQLite file on a second connection,
 * or the run's Postgres database on a second client.
 */
export type JournalTarget = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

type JournalCall =
  | { op: "insert"; rows: NewChange[] }
  | { op: "settle"; receipts: ChangeReceipt[] }
  | { op: "close" };

export type JournalRequest = JournalCall & { id: number };

/** The worker's first message says whether it connected; then one answer per request. */
export type JournalAnswer =
  | { op: "opened"; ok: true }
  | { op: "opened"; ok: false; error: ErrorInfo }
  | { op: "answer"; id: number; ok: true; ids?: string[] }
  | { op: "answer"; id: number; ok: false; error: ErrorInfo };

type Success = Extract<JournalAnswer, { op: "answer"; ok: true }>;

interface Waiting {
  resolve: (answer: Success) => void;
  reject: (error: CoderDxError) => void;
}

/** How long `close` waits for a worker that has no connection yet. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * A run's intents and receipts committed in a worker thread, on a connection of its own to the
 * run's database. A 100-row transaction takes 2-8 ms on SQLite (more when it checkpoints its
 * WAL), and a round trip or more on Postgres; on the event loop that is time in which no answer
 * from DX is read and no next write is sent. Here the loop only posts the rows; an intent's
 * write still waits for its commit, and calls commit in the order they were made.
 *
 * Until the worker has its connection (about 80 ms), calls commit on the event loop through
 * the run's own store, so the first write never waits for a thread to start; a worker that
 * cannot connect leaves them there for the whole run (slower, nothing lost). A worker that
 * stops after connecting fails the calls waiting on it, and every later one, as
 * `store_failed`: the run stops writing, and its pending intents are settled by the next.
 */
export class WorkerJournal implements ChangeJournal {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  /** The worker has its connection: calls go to it from now on. */
  private ready = false;
  private readonly opened: Promise<void>;
  /** Why no call can be answered any more (the worker stopped); set once. */
  private stopped: CoderDxError | null = null;
  private closing: Promise<void> | null = null;

  /**
   * `store` is the run's own (calls go to it until the worker is up), `target` what the worker
   * opens, `where` the database as errors may name it (no password).
   */
  constructor(
    private readonly store: SyncStore,
    target: JournalTarget,
    private readonly where: string,
  ) {
    const { script, eval: isCode } = workerScript(
      new URL("./workers/journal.js", import.meta.url),
      new URL("./journal-worker.ts", import.meta.url),
      () => import.meta.resolve("tsx/esm/api"),
    );
    this.worker = new Worker(script, { eval: isCode, workerData: { target } });
    let settleOpened = () => {};
    this.opened = new Promise((resolve) => {
      settleOpened = resolve;
    });
    this.worker.on("message", (answer: JournalAnswer) => {
      if (answer.op === "answer") return this.answered(answer);
      if (answer.ok) {
        this.ready = true;
        if (this.waiting.size === 0) this.worker.unref();
      }
      settleOpened();
    });
    this.worker.on("error", (error) => this.stop(`its worker failed: ${error.message}`));
    this.worker.on("exit", (code) => {
      settleOpened();
      this.stop(`its worker exited (code ${code})`);
    });
  }

  /** Resolves once the worker has its connection or cannot: true when calls go to it. */
  async whenOpened(): Promise<boolean> {
    await this.opened;
    return this.ready;
  }

  async insertChanges(rows: NewChange[]): Promise<string[]> {
    if (rows.length === 0) return [];
    if (!this.ready) return this.store.insertChanges(rows);
    return (await this.call({ op: "insert", rows })).ids ?? [];
  }

  async settleChanges(receipts: ChangeReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    if (!this.ready) return this.store.settleChanges(receipts);
    await this.call({ op: "settle", receipts });
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, OPEN_TIMEOUT_MS);
    });
    await Promise.race([this.opened, late]);
    clearTimeout(timer);
    if (this.ready && !this.stopped) {
      await this.call({ op: "close" }, true).catch(() => {});
    } else {
      // Never connected (or stopped): nothing of the run's is in it.
      await this.worker.terminate();
    }
  }

  private call(request: JournalCall, closing = false): Promise<Success> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.closing && !closing) return Promise.reject(this.failure("it was closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      const message: JournalRequest = { ...request, id };
      this.worker.postMessage(message);
    });
  }

  private answered(answer: Extract<JournalAnswer, { op: "answer" }>): void {
    const waiting = this.waiting.get(answer.id);
    if (!waiting) return;
    this.waiting.delete(answer.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (answer.ok) waiting.resolve(answer);
    else waiting.reject(new CoderDxError(answer.error.code, answer.error.message));
  }

  /** Every call still waiting fails with why; later calls fail at once. */
  private stop(why: string): void {
    if (!this.ready) return; // it never took a call: the run's store has them all
    this.stopped ??= this.failure(why);
    for (const waiting of this.waiting.values()) waiting.reject(this.stopped);
    this.waiting.clear();
  }

  private failure(why: string): CoderDxError {
    return new CoderDxError(
      "store_failed",
      `database ${this.where}: the run's journal stopped: ${why}`,
    );
  }
}
