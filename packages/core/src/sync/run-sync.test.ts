import { describe, expect, it } from "vitest";
import { Webhook } from "../config/schema";
import { planDigest } from "../domain/plan";
import { RECONCILED_NOTE } from "../domain/write-outcome";
import type { Clock } from "../index";
import { silentLogger } from "../ports";
import { startLoopback } from "../testing/loopback";
import { aChangeRow } from "../testing/builders";
import { MemorySyncStore } from "../testing/memory-store";
import { closeAfterTest, outcomes, simulatedSync } from "../testing/simulated-sync";
import { MAX_CONSECUTIVE_UNAVAILABLE } from "../domain/write-outcome";
import { type RunNotifier, WebhookNotifier } from "./notify";

describe("a sync against DX as it really answers", () => {
  it("takes a write DX answers with every attribute (updated:false where already right) as applied, and the next sync writes nothing", async () => {
    const s = await simulatedSync();
    // DX spelled the usage group first in lower case; people hold other groups and some owned values.
    s.dx.addUser({ email: "first@example.com", attributes: { "coder usage level": "Light" } });
    s.person("ann", { Department: "Data", Coder: "Active" }); // Coder already right, usage not
    s.person("ben", { Department: "Mobile", Coder: "Active", "Coder usage level": "None" }, true); // hidden, all right
    s.person("cat", { Department: "Payments" });
    const first = await s.sync();
    expect(first.run).toMatchObject({
      status: "succeeded",
      counts: { changed: 3, applied: 3, rejected: 0 },
    });
    expect(s.dx.attributesOf("ann@example.com")).toEqual({
      Department: "Data",
      Coder: "Active",
      "coder usage level": "None",
    });
    const writes = s.dx.writes.length;
    const second = await s.sync();
    expect(second.run).toMatchObject({ status: "succeeded", counts: { changed: 0 } });
    expect(s.dx.writes).toHaveLength(writes);
  });

  it("calls a refused email unmatched when DX's listing lacks it, rejected when it lists it, whatever the status", async () => {
    const s = await simulatedSync();
    s.dx.unknownUserAnswer = { status: 422, error: "invalid_payload" };
    s.coder.addUser({ username: "stranger" }); // in Coder, not in DX
    s.person("known");
    s.dx.faults.add({
      match: /attributes\.update/,
      email: "known@example.com",
      status: 422,
      body: '{"ok":false,"error":"invalid_payload"}',
    });
    const { run } = await s.sync();
    expect(run).toMatchObject({ status: "partial", counts: { unmatched: 1, rejected: 1 } });
    const rows = s.rows(run.id);
    expect(outcomes(rows)).toEqual({ stranger: "unmatched", known: "rejected" });
    expect(rows.find((r) => r.outcome === "unmatched")?.error?.code).toBe("dx_unknown_user");
  });

  it("stops at once when a write's 404 is not DX's answer (a wrong DX_API_URL)", async () => {
    const s = await simulatedSync({ dx: { concurrency: 1 } });
    for (const name of ["a1", "a2", "a3", "a4"]) s.person(name);
    s.dx.faults.add({
      match: /attributes\.update/,
      status: 404,
      contentType: "text/html",
      body: "<html><h1>Not Found</h1></html>",
    });
    const { run } = await s.sync();
    expect(run).toMatchObject({ status: "failed", error: { code: "dx_url_invalid" } });
    expect(run.error?.message).toContain("DX_API_URL");
    expect(s.dx.requests.filter((r) => r.key.includes("attributes.update"))).toHaveLength(1);
    expect(Object.values(outcomes(s.rows(run.id))).sort()).toEqual([
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);
  });

  it("counts a group users.list shows as existing, even when attributeGroups.list hides it", async () => {
    const s = await simulatedSync({
      groups: { extra: [{ name: "coder login", from: "loginType", map: { oidc: "SSO" } }] },
    });
    s.person("dee", { "Coder Login": "SSO" }); // makes the group, spelled DX's way
    s.dx.privilegedGroups.add("coder login");
    s.person("eve");
    const { run, halts } = await s.sync();
    expect(halts).toEqual([]);
    expect(run.status).toBe("succeeded");
    expect(s.dx.attributesOf("eve@example.com")["Coder Login"]).toBe("SSO");
  });
});

describe("every run ends recorded, whatever fails", () => {
  // The journal commits on the event loop (the store's own calls), or later, as SQLite's does
  // from its worker thread: a run records the same either way.
  describe.each([
    ["on the event loop", false],
    ["in a worker's time", true],
  ])("with its journal committing %s", (_, deferred) => {
    it("records every write DX took before the run ends", async () => {
      const s = await simulatedSync({ dx: { concurrency: 4 } });
      s.store.deferredJournal = deferred;
      for (let i = 0; i < 150; i++) s.person(`r${String(i).padStart(3, "0")}`);
      const { run } = await s.sync();
      expect(run).toMatchObject({ status: "succeeded", counts: { applied: 150 } });
      const rows = s.rows(run.id);
      expect(rows.filter((r) => r.outcome === "applied")).toHaveLength(150);
      expect(s.store.getUserState("r149@example.com")?.attributes).toMatchObject({
        Coder: expect.any(String),
      });
    });

    it("fails cleanly, writing nothing, when the store cannot take the intents", async () => {
      const s = await simulatedSync();
      s.store.deferredJournal = deferred;
      s.person("ann");
      s.store.failNext("insertChanges");
      const { run } = await s.sync();
      expect(run).toMatchObject({ status: "failed", error: { code: "store_failed" } });
      expect(s.store.getRun(run.id)?.status).toBe("failed");
      expect(s.dx.writes).toHaveLength(0);
    });

    it("stops writing at the first failed receipt batch, and the next run records what DX took", async () => {
      const s = await simulatedSync({ dx: { concurrency: 4 } });
      s.store.deferredJournal = deferred;
      for (let i = 0; i < 600; i++) s.person(`p${String(i).padStart(3, "0")}`);
      s.store.failNext("settleChanges");
      const { run } = await s.sync();
      expect(run).toMatchObject({ status: "failed", error: { code: "store_failed" } });
      const written = s.dx.writes.length;
      expect(written).toBeLessThan(600);
      const next = await s.sync();
      expect(next.run).toMatchObject({ status: "succeeded", counts: { applied: 600 - written } });
      expect(s.dx.writes).toHaveLength(600); // nothing written twice
      const settled = s.rows(run.id);
      expect(settled.filter((r) => r.outcome === "applied")).toHaveLength(written);
      expect(settled.filter((r) => r.outcome === "pending")).toHaveLength(0);
    });
  });

  it("commits on the event loop, losing nothing, when the store's journal does not start", async () => {
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const s = await simulatedSync({}, { log });
    s.store.deferredJournal = true;
    for (let i = 0; i < 5; i++) s.person(`j${i}`);
    s.store.failNext("openJournal");
    const { run } = await s.sync();
    expect(run).toMatchObject({ status: "succeeded", counts: { applied: 5 } });
    expect(s.rows(run.id).filter((r) => r.outcome === "applied")).toHaveLength(5);
    expect(warnings).toEqual([expect.stringContaining("the run's journal did not start")]);
  });

  it("resolves even when the end of the run cannot be recorded; the next run closes it", async () => {
    const s = await simulatedSync();
    s.person("ann");
    s.store.failNext("finishRun");
    const { run } = await s.sync();
    expect(run).toMatchObject({ status: "failed", error: { code: "store_failed" } });
    expect(s.store.getRun(run.id)?.status).toBe("running");
    await s.sync();
    expect(s.store.getRun(run.id)).toMatchObject({
      status: "failed",
      error: { code: "abandoned" },
    });
  });

  it("on a stop, lets writes in flight land, records them applied, and ends interrupted", async () => {
    const s = await simulatedSync({ dx: { concurrency: 2 } });
    for (let i = 0; i < 20; i++) s.person(`w${String(i).padStart(2, "0")}`);
    const stop = new AbortController();
    const { done } = s.start({
      signal: stop.signal,
      onProgress: ({ phase, done }) => {
        if (phase === "apply" && done === 5) stop.abort("SIGTERM");
      },
    });
    const { run } = await done;
    expect(run).toMatchObject({ status: "interrupted", error: { code: "interrupted" } });
    expect(run.error?.message).toContain("SIGTERM");
    expect(run.counts.applied).toBe(s.dx.writes.length);
    const rows = s.rows(run.id);
    expect(rows.filter((r) => r.outcome === "applied")).toHaveLength(s.dx.writes.length);
    expect(rows.filter((r) => r.outcome === "skipped")).toHaveLength(20 - s.dx.writes.length);
    const next = await s.sync();
    expect(next.run.counts.applied).toBe(20 - run.counts.applied);
  });

  it("aborts a write that hangs past the drain deadline, leaves it pending, and the next run confirms it from the read-back", async () => {
    const s = await simulatedSync({ dx: { concurrency: 1 } });
    s.person("ann");
    s.person("hung");
    s.dx.faults.add({
      match: /attributes\.update/,
      email: "hung@example.com",
      holdResponseMs: 60_000,
    });
    const stop = new AbortController();
    const abort = new AbortController();
    const { done } = s.start({ signal: stop.signal, abortSignal: abort.signal });
    while (s.dx.writesTo("hung@example.com").length === 0)
      await new Promise((r) => setTimeout(r, 5));
    stop.abort("SIGTERM");
    abort.abort();
    const { run } = await done;
    expect(run.status).toBe("interrupted");
    const hung = s.rows(run.id).find((r) => r.email === "hung@example.com");
    expect(hung).toMatchObject({ outcome: "pending" });
    expect(hung?.note).toContain("aborted in flight");
    s.dx.faults.clear();
    const next = await s.sync();
    expect(next.run.counts.changed).toBe(0); // DX has it: nothing to write
    expect(s.rows(run.id).find((r) => r.email === "hung@example.com")).toMatchObject({
      outcome: "applied",
      note: RECONCILED_NOTE,
    });
    expect(s.store.getUserState("hung@example.com")?.attributes).toMatchObject({ Coder: "Active" });
  });

  it(`stops after ${MAX_CONSECUTIVE_UNAVAILABLE} outages in a row and skips the rest`, async () => {
    const s = await simulatedSync({ dx: { concurrency: 1, maxAttempts: 1 } });
    for (let i = 0; i < 15; i++) s.person(`o${String(i).padStart(2, "0")}`);
    s.dx.faults.add({ match: /attributes\.update/, status: 503, body: "{}" });
    const { run } = await s.sync();
    expect(run).toMatchObject({ status: "failed", error: { code: "dx_unavailable" } });
    const rows = Object.values(outcomes(s.rows(run.id)));
    expect(rows.filter((o) => o === "rejected")).toHaveLength(MAX_CONSECUTIVE_UNAVAILABLE);
    expect(rows.filter((o) => o === "skipped")).toHaveLength(15 - MAX_CONSECUTIVE_UNAVAILABLE);
  });

  it("refuses a saved plan when Coder changed since, writing nothing", async () => {
    const s = await simulatedSync();
    s.person("ann");
    const { run } = await s.sync({
      expectedDigest: planDigest({
        ownedGroups: [],
        entries: [],
        counts: {} as never,
        adopt: [],
        holdUpdates: [],
      }),
    });
    expect(run).toMatchObject({ status: "failed", error: { code: "plan_stale" } });
    expect(s.dx.writes).toHaveLength(0);
  });

  it("halts at a brake with the plan recorded, and applies past it with force", async () => {
    const s = await simulatedSync({ safety: { maxRemovals: 0, maxRemovalsPercent: 0 } });
    const gone = s.coder.addUser({ username: "gone" });
    s.dx.addUser({ email: gone.email });
    s.person("stay");
    await s.sync();
    s.coder.removeUser(gone.id);
    const halted = await s.sync();
    expect(halted.run).toMatchObject({ status: "halted", error: { code: "halted" } });
    expect(outcomes(s.rows(halted.run.id))).toEqual({ gone: "planned" });
    const forced = await s.sync({ force: true });
    expect(forced.run).toMatchObject({ status: "succeeded", counts: { applied: 1 } });
    expect(s.dx.attributesOf(gone.email).Coder).toBe("Former user");
  });
});

describe("the lease and the store under a run", () => {
  it("stops before the next write when another process took the lease while this one was paused", async () => {
    let now = Date.parse("2026-11-22T10:00:00Z");
    const clock: Clock = { now: () => new Date(now) };
    const s = await simulatedSync({ dx: { concurrency: 1 } }, { clock, leaseTtlMs: 30_000 });
    for (let i = 0; i < 6; i++) s.person(`l${i}`);
    const { done } = s.start({
      onProgress: ({ phase, done }) => {
        if (phase !== "apply" || done !== 2) return;
        now += 60_000; // paused past the lease's expiry…
        expect(s.store.acquireLease("other-host:1:0:x", now, 30_000, () => false)).toBe(true); // …and taken over
      },
    });
    const { run } = await done;
    expect(run).toMatchObject({ status: "interrupted", error: { code: "lease_lost" } });
    expect(s.dx.writes).toHaveLength(2);
  });

  it("sends nothing more once the lease is lost while a write waits in the request budget: skipped, interrupted, lease_lost", async () => {
    let now = Date.parse("2026-11-22T10:00:00Z");
    const clock: Clock = { now: () => new Date(now) };
    // One DX request per 2 s and no read-back: the second write waits ~2 s in the budget after
    // its turn came, and the lease goes to another process while it waits.
    const s = await simulatedSync(
      { dx: { concurrency: 1, requestsPerMinute: 30, readBack: false } },
      { clock, leaseTtlMs: 30_000 },
    );
    for (let i = 0; i < 3; i++) s.person(`w${i}`);
    let tookOver: Promise<void> | null = null;
    const { done } = s.start({
      onProgress: ({ phase, done }) => {
        if (phase !== "apply" || done !== 1) return;
        tookOver = new Promise((resolve) =>
          setTimeout(() => {
            now += 60_000; // paused past the lease's expiry…
            s.store.acquireLease("other-host:1:0:x", now, 30_000, () => false); // …and taken over
            resolve();
          }, 300),
        );
      },
    });
    const { run } = await done;
    expect(tookOver).not.toBeNull();
    expect(run).toMatchObject({ status: "interrupted", error: { code: "lease_lost" } });
    expect(s.dx.writes).toHaveLength(1);
    const rows = s.rows(run.id);
    expect(rows.filter((r) => r.outcome === "applied")).toHaveLength(1);
    const refused = rows.filter((r) => r.outcome === "skipped");
    expect(refused).toHaveLength(2);
    expect(refused.map((r) => [r.error?.code, r.attempts])).toEqual([
      ["lease_lost", 0],
      ["lease_lost", 0],
    ]);
  });

  it("sends no retry once the database file is replaced while the write backs off after a 503", async () => {
    const s = await simulatedSync({ dx: { concurrency: 1, maxAttempts: 3, retryBaseMs: 200 } });
    s.person("r0");
    s.dx.faults.add({ match: /attributes\.update/, status: 503, times: 1 });
    // Once DX has answered the first attempt 503, the file goes while the write backs off
    // (200-400 ms): the retry must not be sent.
    const answered503 = () => s.dx.requests.some((r) => r.key.includes("attributes"));
    const breakAfter503 = () => {
      if (answered503()) s.store.broken = "database x.db: replaced";
      else setTimeout(breakAfter503, 1);
    };
    const { done } = s.start({
      onProgress: ({ phase }) => {
        if (phase === "plan") breakAfter503();
      },
    });
    const { run } = await done;
    expect(run).toMatchObject({ status: "failed", error: { code: "store_failed" } });
    expect(s.dx.requests.filter((r) => r.key.includes("attributes"))).toHaveLength(1);
    expect(s.rows(run.id).map((r) => [r.outcome, r.error?.code, r.attempts])).toEqual([
      ["skipped", "store_failed", 1],
    ]);
  });

  it("stops before the next write when the database file is deleted under the run", async () => {
    const s = await simulatedSync({ dx: { concurrency: 1 } });
    for (let i = 0; i < 4; i++) s.person(`d${i}`);
    const { done } = s.start({
      onProgress: ({ phase, done }) => {
        if (phase === "apply" && done === 1) s.store.broken = "database x.db: deleted";
      },
    });
    const { run } = await done;
    expect(run).toMatchObject({ status: "failed", error: { code: "store_failed" } });
    expect(s.dx.writes).toHaveLength(1);
  });

  it("closes a run whose holder died, and settles its unanswered writes by the read-back", async () => {
    const s = await simulatedSync();
    const held = s.person("held");
    const lost = s.person("lost");
    // A process died after sending one write (DX has it) and before sending the other.
    const dead = s.store.startRun({
      trigger: "cli",
      dryRun: false,
      scoped: false,
      startedAt: "2026-11-22T09:00:00.000Z",
    });
    s.store.insertChanges([
      aChangeRow({
        runId: dead.id,
        email: held,
        after: { Coder: "Active", "Coder usage level": "None" },
      }),
      aChangeRow({
        runId: dead.id,
        email: lost,
        after: { Coder: "Active", "Coder usage level": "None" },
      }),
    ]);
    s.dx.setAttribute(s.dx.users.get(held) as never, "Coder", "Active");
    s.dx.setAttribute(s.dx.users.get(held) as never, "Coder usage level", "None");
    s.store.acquireLease("this-host:999999:0:dead", Date.now(), 30_000, () => false);
    s.store.releaseLease("this-host:999999:0:dead"); // (or expired: either way free now)
    const { run } = await s.sync();
    expect(s.store.getRun(dead.id)).toMatchObject({
      status: "failed",
      error: { code: "abandoned" },
    });
    expect(outcomes(s.rows(dead.id))).toEqual({ held: "applied", lost: "skipped" });
    expect(s.rows(dead.id).find((r) => r.email === held)?.note).toBe(RECONCILED_NOTE);
    expect(outcomes(s.rows(run.id))).toEqual({ lost: "applied" });
    expect(s.dx.writesTo(held)).toHaveLength(0);
  });
});

describe("a large run", () => {
  it("reads many pages at once without Node's listener-leak warning", async () => {
    const s = await simulatedSync({ dx: { concurrency: 16 } });
    for (let i = 0; i < 1500; i++) s.dx.addUser({ email: `reader${i}@example.com` });
    s.person("ann");
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const { run } = await s.sync({ signal: new AbortController().signal });
      expect(run.status).toBe("succeeded");
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("after a run", () => {
  it("records an invalid identity once per reason, not once per run", async () => {
    const s = await simulatedSync({ identities: { overrides: {} } });
    s.person("ann");
    const bad = s.coder.addUser({ username: "bad", email: "bad-at-example.com" });
    const first = await s.sync();
    const second = await s.sync();
    expect(second.run.counts.invalid).toBe(1);
    const invalid = s.store.listChanges({ outcome: "invalid", limit: 10 }).items;
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ runId: first.run.id, coderUserId: bad.id });
    expect(invalid[0]?.error?.message).toContain('malformed email "bad-at-example.com"');
    s.coder.updateUser(bad.id, { email: "" });
    const third = await s.sync();
    expect(s.rows(third.run.id).map((r) => [r.outcome, r.error?.message])).toEqual([
      ["invalid", "no email"],
    ]);
  });

  it("prunes history past retention.days after a real run, never after a dry run", async () => {
    const now = new Date("2026-11-22T06:00:00.000Z");
    const clock: Clock = { now: () => now };
    const s = await simulatedSync({ retention: { days: 30 } }, { clock });
    s.person("ann");
    s.store.insertChanges([
      aChangeRow({ runId: "0", at: "2026-10-01T00:00:00.000Z", outcome: "applied" }),
    ]);
    await s.sync({ dryRun: true });
    expect(s.store.listChanges({ runId: "0", limit: 10 }).items).toHaveLength(1);
    const { run } = await s.sync();
    expect(s.store.listChanges({ runId: "0", limit: 10 }).items).toHaveLength(0);
    expect(s.rows(run.id).map((r) => r.outcome)).toEqual(["applied"]);
  });

  it("notifies once the run is recorded and its lease released; a webhook down changes nothing", async () => {
    const received: string[] = [];
    const hook = await startLoopback((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c;
      });
      req.on("end", () => {
        received.push(body);
        res.end();
      });
    });
    closeAfterTest(() => hook.close());
    const store = new MemorySyncStore();
    const leaseFree: boolean[] = [];
    const notifier = new WebhookNotifier(
      [
        Webhook.parse({ url: `${hook.url}/ok`, events: ["succeeded"] }),
        Webhook.parse({ url: "http://127.0.0.1:9/down", events: ["succeeded"], maxAttempts: 1 }),
      ],
      { store, log: silentLogger, retryBaseMs: 1 },
    );
    const watched: RunNotifier = {
      notify: (run, signal) => {
        leaseFree.push(store.acquireLease("someone-else", Date.now(), 1000, () => false));
        store.releaseLease("someone-else");
        return notifier.notify(run, signal);
      },
    };
    const s = await simulatedSync({}, { store, notifier: watched });
    s.person("ann");
    const { run } = await s.sync();
    expect(run.status).toBe("succeeded");
    expect(leaseFree).toEqual([true]);
    expect(received.map((b) => JSON.parse(b).run.status)).toEqual(["succeeded"]);
    expect(store.getRun(run.id)?.status).toBe("succeeded");
    expect(
      store
        .listDeliveries(run.id)
        .map((d) => d.outcome)
        .sort(),
    ).toEqual(["delivered", "failed"]);
  });
});
