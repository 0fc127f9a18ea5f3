import type { Worker } from "node:worker_threads";
import type { ChangeReceipt, NewChange, SyncStore } from "@coder-dx/core";
import { describe, expect, it } from "vitest";
import { type JournalTarget, WorkerJournal } from "../journal";

const AT = "2026-11-20T00:00:00.000Z";

/** A store to run the journal's suite on. */
export interface JournalSubject {
  store: SyncStore;
  /** The database as errors name it. */
  where: string;
  /** Somewhere the journal's worker cannot open. */
  unreachable: JournalTarget;
}

export function intent(runId: string, email: string): NewChange {
  return {
    runId,
    at: AT,
    email,
    coderUserId: null,
    kind: "attributes",
    action: "set",
    before: null,
    after: { Coder: "Yes" },
    observed: null,
    outcome: "pending",
    error: null,
    attempts: 0,
    note: null,
  };
}

export function applied(changeId: string, email: string): ChangeReceipt {
  return {
    changeId,
    at: AT,
    outcome: "applied",
    error: null,
    attempts: 1,
    state: {
      type: "confirmed",
      email,
      coderUserId: null,
      kind: "attributes",
      values: { Coder: "Yes" },
    },
  };
}

export function openJournal(store: SyncStore): WorkerJournal {
  return store.openJournal?.() as WorkerJournal;
}

export const startRun = (store: SyncStore) =>
  store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: AT });

/** What the journal must do on every store it runs on. */
export function describeJournal(name: string, subject: () => JournalSubject) {
  describe(`the journal on ${name}`, () => {
    it("commits on the event loop until its worker connects, then through the worker, in order", async () => {
      const { store } = subject();
      const run = startRun(store);
      const journal = openJournal(store);
      // Before the worker is up: committed at once, readable on the run's own connection.
      const early = await journal.insertChanges([intent(run.id, "a@example.com")]);
      expect(store.listChanges({ runId: run.id, limit: 10 }).items.map((c) => c.id)).toEqual(early);

      expect(await journal.whenOpened()).toBe(true);
      const later = await journal.insertChanges([
        intent(run.id, "b@example.com"),
        intent(run.id, "c@example.com"),
      ]);
      expect(later.map(Number)).toEqual([Number(early[0]) + 1, Number(early[0]) + 2]);
      // Settles posted without waiting for each other, then the close that waits for them all.
      const settling = [
        journal.settleChanges([applied(early[0] as string, "a@example.com")]),
        journal.settleChanges([
          applied(later[0] as string, "b@example.com"),
          applied(later[1] as string, "c@example.com"),
        ]),
      ];
      await journal.close();
      await Promise.all(settling);

      const rows = store.listChanges({ runId: run.id, limit: 10 }).items;
      expect(rows.map((c) => [c.email, c.outcome])).toEqual(
        expect.arrayContaining([
          ["a@example.com", "applied"],
          ["b@example.com", "applied"],
          ["c@example.com", "applied"],
        ]),
      );
      expect(store.getUserState("c@example.com")?.attributes).toEqual({ Coder: "Yes" });
      await expect(journal.insertChanges([intent(run.id, "d@example.com")])).rejects.toMatchObject({
        code: "store_failed",
      });
    });

    it("turns a statement the database refuses into store_failed naming it, and commits none of its batch", async () => {
      const { store, where } = subject();
      const run = startRun(store);
      const journal = openJournal(store);
      expect(await journal.whenOpened()).toBe(true);
      const bad = { ...intent(run.id, "a@example.com"), email: null } as unknown as NewChange;
      await expect(
        journal.insertChanges([intent(run.id, "b@example.com"), bad]),
      ).rejects.toMatchObject({ code: "store_failed", message: expect.stringContaining(where) });
      // The transaction rolled back whole: nothing of it is in the audit.
      expect(store.listChanges({ runId: run.id, limit: 10 }).items).toEqual([]);
      await journal.close();
    });

    it("fails the calls of a worker that stopped after connecting as store_failed", async () => {
      const { store } = subject();
      const run = startRun(store);
      const journal = openJournal(store);
      expect(await journal.whenOpened()).toBe(true);
      // A thread that dies (out of memory, a native fault) is what this stands for.
      await (journal as unknown as { worker: Worker }).worker.terminate();
      await expect(journal.insertChanges([intent(run.id, "a@example.com")])).rejects.toMatchObject({
        code: "store_failed",
        message: expect.stringContaining("the run's journal stopped: its worker exited"),
      });
      await journal.close();
    });

    it("stays on the event loop, losing nothing, when its worker cannot connect", async () => {
      const { store, where, unreachable } = subject();
      const run = startRun(store);
      const journal = new WorkerJournal(store, unreachable, where);
      expect(await journal.whenOpened()).toBe(false);
      const ids = await journal.insertChanges([intent(run.id, "a@example.com")]);
      await journal.settleChanges([applied(ids[0] as string, "a@example.com")]);
      await journal.close();
      expect(store.listChanges({ runId: run.id, limit: 10 }).items[0]?.outcome).toBe("applied");
    });
  });
}
