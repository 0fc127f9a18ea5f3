import { describe, expect, it } from "vitest";
import { isCoderDxError } from "../errors";
import type { Notification, PeopleQuery, SyncStore } from "../ports";
import { aChangeRow, aUserState } from "./builders";

const T0 = "2026-11-20T10:00:00.000Z";

const finished = (sourceCount: number) => ({
  status: "succeeded" as const,
  finishedAt: T0,
  error: null,
  sourceCount,
  counts: {
    users: 1,
    unchanged: 0,
    changed: 1,
    applied: 1,
    rejected: 0,
    invalid: 0,
    excluded: 0,
    merged: 0,
    unmatched: 0,
    drift: 0,
  },
});

/** The behaviour every SyncStore must have; run against the in-memory twin and the SQLite store. */
export function describeSyncStoreContract(name: string, createStore: () => SyncStore) {
  describe(`SyncStore contract: ${name}`, () => {
    it("records a run from start to finish and lists runs newest first with a cursor", () => {
      const store = createStore();
      const first = store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: T0 });
      expect(first.status).toBe("running");
      const done = store.finishRun(first.id, finished(10));
      expect(done).toMatchObject({ status: "succeeded", sourceCount: 10, counts: { applied: 1 } });
      const second = store.startRun({ trigger: "api", dryRun: true, scoped: false, startedAt: T0 });
      const page1 = store.listRuns({ limit: 1 });
      expect(page1.items.map((r) => r.id)).toEqual([second.id]);
      const page2 = store.listRuns({ limit: 1, cursor: page1.nextCursor ?? undefined });
      expect(page2.items.map((r) => r.id)).toEqual([first.id]);
      expect(page2.nextCursor).toBeNull();
      expect(store.getRun("999")).toBeNull();
    });

    it("answers every malformed cursor with usage_invalid, and an id that cannot be a run's with null", () => {
      const store = createStore();
      const first = store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: T0 });
      store.insertChanges([aChangeRow({ runId: first.id })]);
      for (const cursor of [
        "abc",
        "0",
        "-1",
        "1.5",
        "01",
        " 2",
        "1e3",
        "99999999999999999999",
        "",
      ]) {
        for (const read of [
          () => store.listRuns({ limit: 5, cursor }),
          () => store.listChanges({ limit: 5, cursor }),
          () => store.listNotifications({ limit: 5, cursor }),
          () => store.listEvents({ limit: 5, cursor }),
        ]) {
          let thrown: unknown = null;
          try {
            read();
          } catch (error) {
            thrown = error;
          }
          expect(isCoderDxError(thrown, "usage_invalid"), `cursor ${JSON.stringify(cursor)}`).toBe(
            true,
          );
          expect((thrown as Error).message).toContain("not one coder-dx gave out");
        }
      }
      // The largest cursor there can be reads everything below it.
      expect(store.listRuns({ limit: 5, cursor: "9007199254740991" }).items).toHaveLength(1);
      for (const id of ["abc", "0", "-3", "99999999999999999999", "2147483648", ""])
        expect(store.getRun(id), id).toBeNull();
    });

    it("takes the last source count from complete, unscoped, real runs only", () => {
      const store = createStore();
      expect(store.lastSourceCount()).toBeNull();
      store.finishRun(
        store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: T0 }).id,
        finished(100),
      );
      store.finishRun(
        store.startRun({ trigger: "cli", dryRun: true, scoped: false, startedAt: T0 }).id,
        finished(7),
      );
      store.finishRun(
        store.startRun({ trigger: "cli", dryRun: false, scoped: true, startedAt: T0 }).id,
        finished(3),
      );
      expect(store.lastSourceCount()).toBe(100);
      // A status pass reads everyone: a baseline. A hook run reads for a few: never one.
      store.finishRun(
        store.startRun({ trigger: "status", dryRun: false, scoped: false, startedAt: T0 }).id,
        finished(90),
      );
      store.finishRun(
        store.startRun({ trigger: "hook", dryRun: false, scoped: true, startedAt: T0 }).id,
        finished(2),
      );
      expect(store.lastSourceCount()).toBe(90);
    });

    it("calls the last real run the newest full one: never a status pass or a hook run", () => {
      const store = createStore();
      const full = store.startRun({
        trigger: "schedule",
        dryRun: false,
        scoped: false,
        startedAt: T0,
      });
      store.finishRun(full.id, finished(10));
      for (const trigger of ["status", "hook"] as const)
        store.finishRun(
          store.startRun({ trigger, dryRun: false, scoped: trigger === "hook", startedAt: T0 }).id,
          finished(10),
        );
      expect(store.lastFinishedRun()?.id).toBe(full.id);
      expect(store.lastFinishedRun("succeeded")?.id).toBe(full.id);
    });

    it("changes a user's state only with an applied receipt", () => {
      const store = createStore();
      const [applied, rejected] = store.insertChanges([
        aChangeRow(),
        aChangeRow({ email: "bob@example.com", coderUserId: "c-bob" }),
      ]);
      store.settleChanges([
        {
          changeId: applied as string,
          at: T0,
          outcome: "applied",
          error: null,
          attempts: 2,
          state: {
            type: "confirmed",
            email: "alice@example.com",
            coderUserId: "c-alice",
            kind: "attributes",
            values: { Coder: "Active" },
          },
        },
        {
          changeId: rejected as string,
          at: T0,
          outcome: "rejected",
          error: { code: "dx_rejected", message: "no" },
          attempts: 1,
        },
      ]);
      expect(store.getUserState("alice@example.com")).toMatchObject({
        coderUserId: "c-alice",
        attributes: { Coder: "Active" },
      });
      expect(store.getUserState("bob@example.com")).toBeNull();
      const rows = store.listChanges({ limit: 10 }).items;
      expect(rows.map((r) => [r.email, r.outcome, r.attempts])).toEqual([
        ["bob@example.com", "rejected", 1],
        ["alice@example.com", "applied", 2],
      ]);
      expect(rows[0]?.error).toEqual({ code: "dx_rejected", message: "no" });
    });

    it("remembers an unmatched email without inventing a pushed state", () => {
      const store = createStore();
      const [id] = store.insertChanges([aChangeRow()]);
      store.settleChanges([
        {
          changeId: id as string,
          at: T0,
          outcome: "unmatched",
          error: null,
          attempts: 1,
          state: {
            type: "unmatched",
            email: "alice@example.com",
            coderUserId: "c-alice",
            attributes: { Coder: "Active" },
          },
        },
      ]);
      expect(store.getUserState("alice@example.com")).toMatchObject({
        attributes: {},
        unmatchedAt: T0,
        unmatchedAttributes: { Coder: "Active" },
      });
    });

    it("filters changes by email, run, outcome and time, newest first, with a cursor", () => {
      const store = createStore();
      store.insertChanges([
        aChangeRow({ at: "2026-11-01T00:00:00.000Z", runId: "1" }),
        aChangeRow({ at: "2026-11-02T00:00:00.000Z", runId: "2", email: "bob@example.com" }),
        aChangeRow({ at: "2026-11-03T00:00:00.000Z", runId: "2", outcome: "planned" }),
      ]);
      expect(store.listChanges({ limit: 10, email: "ALICE@example.com" }).items).toHaveLength(2);
      expect(store.listChanges({ limit: 10, runId: "2" }).items.map((r) => r.email)).toEqual([
        "alice@example.com",
        "bob@example.com",
      ]);
      expect(store.listChanges({ limit: 10, outcome: "planned" }).items).toHaveLength(1);
      expect(
        store
          .listChanges({
            limit: 10,
            since: "2026-11-02T00:00:00.000Z",
            until: "2026-11-03T00:00:00.000Z",
          })
          .items.map((r) => r.email),
      ).toEqual(["bob@example.com"]);
      const first = store.listChanges({ limit: 2 });
      expect(first.nextCursor).not.toBeNull();
      const rest = store.listChanges({ limit: 2, cursor: first.nextCursor ?? undefined });
      expect(rest.items.map((r) => r.at)).toEqual(["2026-11-01T00:00:00.000Z"]);
      expect(rest.nextCursor).toBeNull();
    });

    it("prunes what is older than a date, keeping pending intents, pushed states and the runs the brakes read", () => {
      const store = createStore();
      const at = (day: number) => `2026-11-${String(day).padStart(2, "0")}T10:00:00.000Z`;
      const real = { trigger: "schedule", dryRun: false, scoped: false } as const;
      const ids: string[] = [];
      for (const [day, status] of [
        [1, "succeeded"],
        [2, "succeeded"],
        [3, "failed"],
        [20, "succeeded"],
      ] as const) {
        const run = store.startRun({ ...real, startedAt: at(day) });
        store.finishRun(run.id, { ...finished(10), status, finishedAt: at(day) });
        ids.push(run.id);
      }
      const [old, older, failed, recent] = ids as [string, string, string, string];
      const [applied] = store.insertChanges([
        aChangeRow({ runId: old, at: at(1), email: "ann@example.com" }),
        aChangeRow({ runId: older, at: at(2), email: "bob@example.com", outcome: "invalid" }),
        aChangeRow({ runId: recent, at: at(20), email: "cy@example.com" }),
      ]);
      store.settleChanges([
        {
          changeId: applied as string,
          at: at(1),
          outcome: "applied",
          error: null,
          attempts: 1,
          state: {
            type: "confirmed",
            email: "ann@example.com",
            coderUserId: "c-ann",
            kind: "attributes",
            values: { Coder: "Active" },
          },
        },
      ]);
      store.insertChanges([aChangeRow({ runId: failed, at: at(3), email: "dee@example.com" })]);
      store.recordDelivery({
        runId: failed,
        at: at(3),
        target: "https://hooks.example.com",
        event: "failed",
        outcome: "delivered",
        attempts: 1,
        httpStatus: 200,
        error: null,
      });
      expect(store.listDeliveries(failed)).toMatchObject([
        { outcome: "delivered", httpStatus: 200 },
      ]);

      const pruned = store.prune(at(10));
      expect(pruned).toEqual({ changes: 2, runs: 2, deliveries: 1, notifications: 0, events: 0 });
      expect(
        store
          .listChanges({ limit: 10 })
          .items.map((r) => r.email)
          .sort(),
      ).toEqual([
        "cy@example.com",
        "dee@example.com", // pending: a later read-back settles it
      ]);
      expect(store.getRun(failed)).not.toBeNull(); // it still has a row
      expect(store.getRun(old)).toBeNull();
      expect(store.getRun(recent)).not.toBeNull();
      expect(store.getUserState("ann@example.com")?.attributes).toEqual({ Coder: "Active" });
      expect(store.listDeliveries(failed)).toEqual([]);
      expect(store.prune(at(10))).toEqual({
        changes: 0,
        runs: 0,
        deliveries: 0,
        notifications: 0,
        events: 0,
      });
      // New ids never reuse pruned ones: cursors and links stay unambiguous.
      const next = store.startRun({ ...real, startedAt: at(21) });
      expect(Number(next.id)).toBeGreaterThan(Number(recent));
    });

    it("gives the attribute history up to a time, oldest first: confirmed writes and adopted values", () => {
      const store = createStore();
      store.insertChanges([
        aChangeRow({
          at: "2026-11-01T00:00:00.000Z",
          outcome: "applied",
          after: { Coder: "Active" },
        }),
        aChangeRow({ at: "2026-11-02T00:00:00.000Z", outcome: "rejected" }),
        aChangeRow({ at: "2026-11-02T00:00:00.000Z", outcome: "applied", kind: "properties" }),
        aChangeRow({
          at: "2026-11-03T00:00:00.000Z",
          outcome: "applied",
          email: "bob@example.com",
        }),
        aChangeRow({ at: "2026-11-04T00:00:00.000Z", outcome: "applied" }),
      ]);
      store.adoptUserStates([
        aUserState(
          "carol@example.com",
          { Coder: "Dormant" },
          { updatedAt: "2026-11-02T12:00:00.000Z" },
        ),
        aUserState(
          "dan@example.com",
          { Coder: "Active" },
          { updatedAt: "2026-11-05T00:00:00.000Z" },
        ),
      ]);
      expect([...store.attributeHistory("2026-11-03T00:00:00.000Z")]).toEqual([
        { at: "2026-11-01T00:00:00.000Z", email: "alice@example.com", after: { Coder: "Active" } },
        { at: "2026-11-02T12:00:00.000Z", email: "carol@example.com", after: { Coder: "Dormant" } },
        { at: "2026-11-03T00:00:00.000Z", email: "bob@example.com", after: { Coder: "Active" } },
      ]);
    });

    it("keeps everyone's values at a prune's cut, so the history from the cut on is unchanged", () => {
      const store = createStore();
      const day = (d: number) => `2026-11-${String(d).padStart(2, "0")}T00:00:00.000Z`;
      store.adoptUserStates([
        aUserState("ann@example.com", { Coder: "Active", Level: "Light" }, { updatedAt: day(1) }),
      ]);
      store.insertChanges([
        aChangeRow({
          at: day(2),
          email: "ann@example.com",
          outcome: "applied",
          after: { Level: "Heavy" },
        }),
        aChangeRow({
          at: day(3),
          email: "bob@example.com",
          outcome: "applied",
          after: { Coder: "Active" },
        }),
        aChangeRow({
          at: day(5),
          email: "ann@example.com",
          outcome: "applied",
          after: { Level: "Moderate" },
        }),
      ]);
      const fold = (until: string) => {
        const held = new Map<string, Record<string, string | null>>();
        for (const step of store.attributeHistory(until))
          held.set(step.email, { ...held.get(step.email), ...step.after });
        return Object.fromEntries(held);
      };
      const before = [day(4), day(5), day(6)].map(fold);
      store.prune(day(4));
      expect([day(4), day(5), day(6)].map(fold)).toEqual(before);
      expect(fold(day(6))).toEqual({
        "ann@example.com": { Coder: "Active", Level: "Moderate" },
        "bob@example.com": { Coder: "Active" },
      });
      // What a prune removed is gone: nothing is known before the cut.
      expect(fold(day(3))).toEqual({});
    });

    it("keeps steady-level holds per person, replacing and clearing them", () => {
      const store = createStore();
      store.saveHolds([
        { email: "ann@example.com", holds: { "Coder usage level": T0 } },
        { email: "bob@example.com", holds: { "Coder usage level": T0, Frequency: T0 } },
      ]);
      store.saveHolds([
        { email: "ann@example.com", holds: {} },
        { email: "bob@example.com", holds: { Frequency: T0 } },
      ]);
      expect([...store.loadHolds()]).toEqual([["bob@example.com", { Frequency: T0 }]]);
    });

    it("gives a person's newest audit row", () => {
      const store = createStore();
      expect(store.lastChange("ann@example.com")).toBeNull();
      store.insertChanges([
        aChangeRow({ email: "ann@example.com", outcome: "invalid", note: "first" }),
        aChangeRow({ email: "bob@example.com" }),
        aChangeRow({ email: "ann@example.com", outcome: "invalid", note: "second" }),
      ]);
      expect(store.lastChange("ANN@example.com")?.note).toBe("second");
    });

    it("closes runs a dead process left running, and keeps their pending intents for a read-back", () => {
      const store = createStore();
      const run = store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: T0 });
      store.insertChanges([
        aChangeRow({ runId: run.id }),
        aChangeRow({ runId: run.id, outcome: "applied" }),
      ]);
      const closed = store.closeAbandonedRuns(T0, { code: "abandoned", message: "gone" });
      expect(closed.map((r) => r.id)).toEqual([run.id]);
      expect(store.getRun(run.id)).toMatchObject({
        status: "failed",
        error: { code: "abandoned", message: "gone" },
      });
      expect(store.closeAbandonedRuns(T0, { code: "abandoned", message: "again" })).toEqual([]);
      const next = store.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: T0 });
      store.insertChanges([aChangeRow({ runId: next.id })]);
      const pending = store.listPendingChanges(next.id);
      expect(pending.map((r) => [r.runId, r.outcome])).toEqual([[run.id, "pending"]]);
      store.settleChanges([
        {
          changeId: pending[0]?.id as string,
          at: T0,
          outcome: "applied",
          error: null,
          attempts: 0,
          note: "confirmed by read-back",
        },
      ]);
      expect(store.listPendingChanges(next.id)).toEqual([]);
      expect(
        store
          .listChanges({ limit: 10, runId: run.id, outcome: "applied" })
          .items.map((r) => r.note),
      ).toEqual([null, "confirmed by read-back"]);
    });

    it("lets one holder hold the lease until it is released, expires or its holder died", () => {
      const store = createStore();
      const alive = () => false;
      expect(store.acquireLease("a", 1000, 100, alive)).toBe(true);
      expect(store.acquireLease("b", 1050, 100, alive)).toBe(false);
      expect(store.renewLease("a", 1090, 100)).toBe(true);
      expect(store.acquireLease("b", 1150, 100, alive)).toBe(false);
      expect(store.acquireLease("b", 1200, 100, alive)).toBe(true);
      expect(store.renewLease("a", 1201, 100)).toBe(false);
      store.releaseLease("b");
      expect(store.acquireLease("c", 1202, 100, alive)).toBe(true);
      expect(store.acquireLease("d", 1203, 100, (holder) => holder === "c")).toBe(true);
      expect(store.renewLease("c", 1204, 100)).toBe(false);
    });

    it("records a notification once per msg_id, keeps the waiting ones in order, and settles each once", () => {
      const store = createStore();
      const note = (msgId: string, at: string, outcome: "waiting" | "ignored" = "waiting") => ({
        msgId,
        receivedAt: at,
        name: "User account suspended",
        templateId: "b02ddd82-4733-4d02-a2d7-c36f3598997d",
        kind: "user_suspended" as const,
        subject: { userId: "u-1", username: "ann", email: "ann@example.com" },
        details: null,
        outcome,
        note: outcome === "ignored" ? "not used" : null,
      });
      const first = store.recordNotification(note("m-1", "2026-11-20T10:00:00.000Z"));
      expect(first.duplicate).toBe(false);
      // Coder's retry of the same message: recorded once, changes nothing.
      expect(
        store.recordNotification({ ...note("m-1", "2026-11-20T10:05:00.000Z"), name: "x" }),
      ).toEqual({
        id: first.id,
        duplicate: true,
      });
      store.recordNotification(note("m-2", "2026-11-20T10:00:01.000Z"));
      store.recordNotification(note("m-3", "2026-11-20T10:00:02.000Z", "ignored"));
      expect(
        store.waitingNotifications().map((n) => [n.msgId, n.name, n.subject.username]),
      ).toEqual([
        ["m-1", "User account suspended", "ann"],
        ["m-2", "User account suspended", "ann"],
      ]);
      const [one, two] = store.waitingNotifications() as [Notification, Notification];
      const settled = { runId: "7", handledAt: "2026-11-20T10:00:03.000Z", confirmedAt: null };
      store.settleNotifications([
        {
          id: one.id,
          outcome: "run",
          note: null,
          ...settled,
          confirmedAt: "2026-11-20T10:00:03.000Z",
        },
        { id: two.id, outcome: "duplicate", note: `a copy of ${one.id}`, ...settled },
      ]);
      // Settled once: a second settlement (another replica's, late) changes nothing.
      store.settleNotifications([{ id: one.id, outcome: "ignored", note: "late", ...settled }]);
      expect(store.waitingNotifications()).toEqual([]);
      const page = store.listNotifications({ limit: 2 });
      expect(page.items.map((n) => [n.msgId, n.outcome, n.runId])).toEqual([
        ["m-3", "ignored", null],
        ["m-2", "duplicate", "7"],
      ]);
      const rest = store.listNotifications({ limit: 2, cursor: page.nextCursor ?? undefined });
      expect(rest.items).toMatchObject([
        { msgId: "m-1", outcome: "run", confirmedAt: "2026-11-20T10:00:03.000Z", details: null },
      ]);
      expect(rest.nextCursor).toBeNull();
      // A prune keeps what still waits.
      store.recordNotification(note("m-4", "2026-11-20T10:00:04.000Z"));
      expect(store.prune("2026-11-21T00:00:00.000Z").notifications).toBe(3);
      expect(store.waitingNotifications().map((n) => n.msgId)).toEqual(["m-4"]);
    });

    it("records a PlatformX event once per key, claims each send once, and keeps what may have reached DX", () => {
      const store = createStore();
      const event = (key: string, name: string, at: string) => ({
        key,
        name,
        email: "ann@example.com",
        timestamp: "1796551200",
        metadata: { source: "webhook", username: "ann" },
        source: "webhook" as const,
        subjectUserId: "u-1",
        notificationId: "4",
        runId: "2",
        outcome: "pending" as const,
        error: null,
        recordedAt: at,
      });
      const [first] = store.recordEvents([
        event("s:u-1:0", "coder.user.suspended", "2026-11-20T10:00:00.000Z"),
      ]);
      // A copy, a retry or a replay of the same occurrence: the same key, nothing new.
      expect(
        store.recordEvents([event("s:u-1:0", "coder.user.suspended", "2026-11-20T10:00:01.000Z")]),
      ).toEqual([]);
      const [second] = store.recordEvents([
        event("a:u-1:1", "coder.user.activated", "2026-11-20T11:00:00.000Z"),
      ]);
      expect(store.pendingEvents(10).map((e) => e.id)).toEqual([first, second]);
      // A send is counted before it leaves, by one process: the other's claim of the same attempt fails.
      expect(store.claimEvent(first as string, 0, "2026-11-20T10:00:02.000Z", "h:1")).toBe(true);
      expect(store.claimEvent(first as string, 0, "2026-11-20T10:00:02.000Z", "h:2")).toBe(false);
      store.settleEvent(first as string, "sent", null, "2026-11-20T10:00:03.000Z");
      expect(store.claimEvent(first as string, 1, "2026-11-20T10:00:04.000Z", "h:1")).toBe(false);
      // Put back (a 429): pending again, its claim cleared, the attempt still counted.
      expect(store.claimEvent(second as string, 0, "2026-11-20T11:00:01.000Z", "h:1")).toBe(true);
      store.settleEvent(second as string, "pending", null, "2026-11-20T11:00:02.000Z");
      expect(store.pendingEvents(10)).toMatchObject([
        { id: second, attempts: 1, claimedAt: null, claimedBy: null },
      ]);
      store.settleEvent(second as string, "rejected", { code: "dx_rejected", message: "no" }, "t");
      const names = ["coder.user.suspended", "coder.user.activated"];
      // A rejected event never reached DX: the last that may have is the suspension.
      expect(store.lastEventFor("u-1", names)).toMatchObject({
        id: first,
        outcome: "sent",
        attempts: 1,
        sentAt: "2026-11-20T10:00:03.000Z",
      });
      expect(store.lastEventFor("u-2", names)).toBeNull();
      expect(store.listEvents({ limit: 10, outcome: "rejected" }).items.map((e) => e.id)).toEqual([
        second,
      ]);
      expect(store.listEvents({ limit: 1, email: "ANN@example.com" }).nextCursor).toBe(second);
      expect(
        store.listEvents({ limit: 10, since: "2026-11-20T10:30:00.000Z" }).items.map((e) => e.id),
      ).toEqual([second]);
      expect(store.eventCounts()).toEqual([
        { name: "coder.user.activated", outcome: "rejected", count: 1 },
        { name: "coder.user.suspended", outcome: "sent", count: 1 },
      ]);
      store.recordEvents([event("c:u-1", "coder.user.created", "2026-11-21T00:00:00.000Z")]);
      expect(store.prune("2026-11-22T00:00:00.000Z").events).toBe(2);
      expect(store.pendingEvents(10).map((e) => e.name)).toEqual(["coder.user.created"]);
    });

    it("counts the processes sharing a DX budget: alone at once, beside others after a delay, the unseen gone", () => {
      const store = createStore();
      const terms = { activeMs: 2_000, joinDelayMs: 1_500 };
      const look = (holder: string, now: number, name = "dx") =>
        store.lookAtBudget(name, holder, now, terms);
      expect(look("cli", 1_000)).toEqual({
        members: 1,
        activeFrom: 1_000,
      });
      expect(look("serve", 1_100)).toEqual({
        members: 2,
        activeFrom: 2_600,
      });
      // Looking again keeps when a member may send from.
      expect(look("cli", 1_200)).toEqual({
        members: 2,
        activeFrom: 1_000,
      });
      // serve, counted until activeMs after its start (it never looked again), has gone by 4,600.
      expect(look("cli", 3_100).members).toBe(2);
      expect(look("cli", 4_599).members).toBe(2);
      expect(look("cli", 4_600)).toEqual({
        members: 1,
        activeFrom: 1_000,
      });
      // Another budget is another set of members; serve back on "dx" joins anew.
      expect(look("serve", 4_600, "other")).toEqual({
        members: 1,
        activeFrom: 4_600,
      });
      expect(look("serve", 4_700)).toEqual({
        members: 2,
        activeFrom: 6_200,
      });
      // cli leaves: counted until its last requests are out (activeMs); plan waits for serve,
      // which still sends. Once all have left, a newcomer starts at once, counting them.
      store.leaveBudget("dx", "cli", 4_800);
      expect(look("plan", 4_900)).toEqual({
        members: 3,
        activeFrom: 6_400,
      });
      store.leaveBudget("dx", "serve", 5_000);
      store.leaveBudget("dx", "plan", 5_000);
      expect(look("cli-2", 5_100)).toEqual({
        members: 4,
        activeFrom: 5_100,
      });
      expect(look("cli-2", 7_000)).toEqual({
        members: 1,
        activeFrom: 5_100,
      });
    });

    it("adopts states DX already holds", () => {
      const store = createStore();
      store.adoptUserStates([
        {
          email: "carol@example.com",
          coderUserId: "c-carol",
          username: "carol",
          attributes: { Coder: "Dormant" },
          properties: {},
          updatedAt: T0,
          unmatchedAt: null,
          unmatchedAttributes: null,
        },
      ]);
      expect([...store.loadUserStates().keys()]).toEqual(["carol@example.com"]);
    });

    it("finds people by part of an email or a username, and by a group's value, paged", () => {
      const store = createStore();
      store.adoptUserStates([
        aUserState("ada.lovelace@example.com", { Coder: "Active", "Coder usage level": "Heavy" }),
        aUserState("grace@example.com", { Coder: "Active", "Coder usage level": "Light" }),
        aUserState("alan@example.com", { Coder: "Suspended", "Coder usage level": "None" }),
        aUserState("x_100%@example.com", { Coder: "Dormant" }),
      ]);
      // Usernames as the last real run read them; one that did not change is left alone.
      store.rememberUsernames([
        { email: "grace@example.com", username: "ghopper" },
        { email: "alan@example.com", username: "alan" },
        { email: "nobody@example.com", username: "nobody" },
      ]);
      const emails = (query: Omit<PeopleQuery, "limit">, limit = 10) =>
        store.listPeople({ limit, ...query }).items.map((p) => p.email);
      expect(emails({})).toEqual([
        "ada.lovelace@example.com",
        "alan@example.com",
        "grace@example.com",
        "x_100%@example.com",
      ]);
      expect(emails({ search: "ADA" })).toEqual(["ada.lovelace@example.com"]);
      expect(emails({ search: "hopp" })).toEqual(["grace@example.com"]);
      // `%` and `_` are letters here, not patterns.
      expect(emails({ search: "_100%" })).toEqual(["x_100%@example.com"]);
      expect(emails({ search: "a_a" })).toEqual([]);
      expect(emails({ group: "Coder", value: "Active" })).toEqual([
        "ada.lovelace@example.com",
        "grace@example.com",
      ]);
      expect(emails({ group: "Coder usage level", value: "None", search: "al" })).toEqual([
        "alan@example.com",
      ]);
      expect(store.getUserState("grace@example.com")?.username).toBe("ghopper");
      expect(store.getUserState("nobody@example.com")).toBeNull();
      const first = store.listPeople({ limit: 3 });
      expect(first.items).toHaveLength(3);
      expect(
        store.listPeople({ limit: 3, cursor: first.nextCursor ?? "" }).items.map((p) => p.email),
      ).toEqual(["x_100%@example.com"]);
    });
  });
}
