import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { PlanEntry } from "../domain/plan";
import type { ChangeKind } from "../domain/run";
import { type RunStop, stopForStore } from "../domain/write-outcome";
import type { ChangeJournal, NewChange } from "../ports";

/**
 * Intents are inserted this many people at a time, just ahead of the writes. Where the store
 * commits on the event loop (Postgres, or SQLite before its journal's worker is up), small
 * batches keep each transaction short (about 2 ms): while one runs, no answer from DX is read
 * and no next write is sent, and at 800 writes a second that time is what separates the run
 * from its latency bound.
 */
const BATCH = 64;
/** Batches kept ready ahead of the writes, no more: the inserts spread over the run. */
const AHEAD = 4 * BATCH;
const REFILL = 2 * BATCH;

/** One planned write with its recorded intent. */
export interface Intent {
  id: string;
  kind: ChangeKind;
  values: Record<string, string | null>;
}

/** A person whose intents are recorded: the next one to write. */
export interface ReadyPerson {
  entry: PlanEntry;
  intents: Intent[];
}

/**
 * Feeds the writers: records each person's intents (a batch at a time, a few batches ahead) and
 * hands the people over in plan order. Once the run has stopped, the rest are recorded `skipped`
 * with the reason (every planned write has its row) and no one more is handed over.
 */
export class IntentFeed {
  private readonly ready: ReadyPerson[] = [];
  private done = false;
  private wakeWriters: (() => void)[] = [];
  private wakeFeeder: (() => void) | null = null;
  /** Set when the store refused the intents: no write may start that has no row. */
  failed: RunStop | null = null;

  constructor(
    private readonly people: readonly PlanEntry[],
    private readonly journal: ChangeJournal,
    /** A person's intent rows: `pending`, or `skipped` with why once the run has stopped. */
    private readonly rowsFor: (entry: PlanEntry, stopped: RunStop | null) => NewChange[],
    private readonly currentStop: () => RunStop | null,
  ) {}

  /** Records the intents; resolves when every person has rows, or the store failed (`failed`). */
  async fill(): Promise<void> {
    try {
      for (let from = 0; from < this.people.length; from += BATCH) {
        while (this.ready.length > AHEAD && !this.currentStop())
          await new Promise<void>((resolve) => {
            this.wakeFeeder = resolve;
          });
        const stopped = this.currentStop();
        const batch = this.people.slice(from, from + BATCH);
        const perPerson = batch.map((entry) => this.rowsFor(entry, stopped));
        const ids = await this.journal.insertChanges(perPerson.flat());
        if (!stopped) {
          let k = 0;
          batch.forEach((entry, i) => {
            const intents = (perPerson[i] as NewChange[]).map((row) => ({
              id: ids[k++] as string,
              kind: row.kind,
              values: row.after ?? {},
            }));
            this.ready.push({ entry, intents });
          });
          this.wake();
        }
        await yieldToLoop();
      }
    } catch (error) {
      this.failed = stopForStore(error);
    } finally {
      this.done = true;
      this.wake();
    }
  }

  /** The next person to write, or null when there is no one more. */
  async next(): Promise<ReadyPerson | null> {
    for (;;) {
      const person = this.ready.shift();
      if (person) {
        if (this.ready.length <= REFILL && this.wakeFeeder) {
          const wake = this.wakeFeeder;
          this.wakeFeeder = null;
          wake();
        }
        return person;
      }
      if (this.done) return null;
      await new Promise<void>((resolve) => this.wakeWriters.push(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.wakeWriters.splice(0)) resolve();
  }
}
