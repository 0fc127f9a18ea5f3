import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import type { SimCoderUser } from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { ARRIVED_AT, liveOrg } from "../testing/simulated-sync";
import { formatHolder } from "./lease";

const seconds = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));
const find = (s: { coder: { findUser(name: string): SimCoderUser } }, name: string) =>
  s.coder.findUser(name);

/** Live's org with PlatformX on: events go to DX's simulator after each run. */
const platformxOrg = (config: Parameters<typeof liveOrg>[0] = {}) =>
  liveOrg(config, { platformx: true });

/** What PlatformX took: name, email, timestamp and metadata. */
const sent = (s: Awaited<ReturnType<typeof platformxOrg>>) =>
  s.dx.events.map(({ name, email, timestamp, metadata }) => ({ name, email, timestamp, metadata }));

describe("PlatformX events from Coder's notifications", () => {
  it("sends a suspension once, for the person suspended, not for any admin who got a copy", async () => {
    const s = await platformxOrg();
    s.person("ann");
    await s.sync();
    s.coder.suspendUser(find(s, "ann").id);
    // Four admins' copies and ann's own: each addressed to its recipient.
    const copies = s.deliver();
    expect(new Set(copies.map((c) => c.outcome))).toEqual(new Set(["waiting"]));
    const { hints } = await s.hookRun();
    expect(sent(s)).toEqual([
      {
        name: "coder.user.suspended",
        email: "ann@example.com",
        timestamp: seconds(ARRIVED_AT),
        metadata: { source: "webhook", username: "ann" },
      },
    ]);
    expect(hints.find((h) => h.outcome === "run")?.note).toContain(
      "PlatformX: coder.user.suspended for ann@example.com",
    );
    expect(s.store.listEvents({ limit: 10 }).items).toMatchObject([
      { outcome: "sent", attempts: 1, source: "webhook" },
    ]);
  });

  it("maps each occurrence to its event, with Coder's own time where it has one", async () => {
    const s = await platformxOrg();
    await s.sync();
    const dee = s.coder.createUser({ username: "dee", created_at: "2026-12-06T09:58:00.000Z" });
    s.dx.addUser({ email: dee.email });
    const workspace = s.coder.createWorkspace(dee.id, {
      name: "dev",
      templateName: "docker",
      templateVersionName: "v1",
      created_at: "2026-12-06T09:59:00.000Z",
    });
    s.coder.updateWorkspace(workspace.id, {
      id: "f8b1c3a0-0000-4000-8000-000000000002",
      name: "v2",
    });
    s.deliver();
    await s.hookRun();
    s.coder.suspendUser(dee.id);
    s.deliver(undefined, "2026-12-06T10:05:00.000Z");
    await s.hookRun();
    s.coder.activateUser(dee.id);
    s.deliver(undefined, "2026-12-06T10:06:00.000Z");
    await s.hookRun();
    s.coder.deleteUser(dee.id);
    // A deletion's notification carries no email: the one coder-dx knew for that id.
    s.deliver(undefined, "2026-12-06T10:07:00.000Z");
    await s.hookRun();
    expect(sent(s)).toEqual([
      {
        name: "coder.user.created",
        email: "dee@example.com",
        timestamp: seconds("2026-12-06T09:58:00.000Z"),
        metadata: { source: "webhook", username: "dee" },
      },
      {
        name: "coder.workspace.created",
        email: "dee@example.com",
        timestamp: seconds("2026-12-06T09:59:00.000Z"),
        metadata: {
          source: "webhook",
          username: "dee",
          workspace: "dev",
          template: "docker",
          template_version: "v1",
        },
      },
      {
        name: "coder.workspace.updated",
        email: "dee@example.com",
        timestamp: seconds(ARRIVED_AT),
        metadata: {
          source: "webhook",
          username: "dee",
          workspace: "dev",
          template: "docker",
          template_version: "v2",
        },
      },
      expect.objectContaining({
        name: "coder.user.suspended",
        timestamp: seconds("2026-12-06T10:05:00.000Z"),
      }),
      expect.objectContaining({
        name: "coder.user.activated",
        timestamp: seconds("2026-12-06T10:06:00.000Z"),
      }),
      {
        name: "coder.user.deleted",
        email: "dee@example.com",
        timestamp: seconds("2026-12-06T10:07:00.000Z"),
        metadata: { source: "webhook", username: "dee" },
      },
    ]);
  });

  it("sends once whatever the fan-out, Coder's retries, replays, or copies that come late", async () => {
    const s = await platformxOrg();
    s.person("bo");
    await s.sync();
    s.coder.suspendUser(find(s, "bo").id);
    const messages = [...s.coder.messages];
    // Two copies now, the rest (and a retry of the first) after the run.
    s.deliver(messages.slice(0, 2));
    await s.hookRun();
    const again = s.deliver([...messages.slice(2), messages[0] as (typeof messages)[0]]);
    expect(again.at(-1)).toMatchObject({ duplicate: true });
    await s.hookRun();
    await s.statusPass();
    await s.sync();
    expect(sent(s).map((e) => [e.name, e.email])).toEqual([
      ["coder.user.suspended", "bo@example.com"],
    ]);
    // The same workspace reported twice (a replay under a new message) is one event.
    s.coder.createWorkspace(find(s, "bo").id, { name: "ws" });
    const [first] = s.deliver();
    s.deliver([{ ...(s.coder.messages.at(-1) as (typeof messages)[0]) }]);
    const replay = structuredClone(s.coder.messages.at(-1)?.body) as Record<string, unknown>;
    replay.msg_id = "0b9e7a4c-1111-4d2e-9c3f-000000000001";
    s.deliver([{ ...(s.coder.messages.at(-1) as (typeof messages)[0]), body: replay as never }]);
    await s.hookRun();
    await s.hookRun();
    expect(first?.outcome).toBe("waiting");
    expect(sent(s).filter((e) => e.name === "coder.workspace.created")).toHaveLength(1);
  });

  it("sends a suspension and its undoing in one batch as two events, in order", async () => {
    const s = await platformxOrg();
    s.person("cy");
    await s.sync();
    s.coder.suspendUser(find(s, "cy").id);
    s.coder.activateUser(find(s, "cy").id);
    s.deliver();
    await s.hookRun();
    expect(sent(s).map((e) => e.name)).toEqual(["coder.user.suspended", "coder.user.activated"]);
  });

  it("sends nothing for a suspension Coder's record no longer bears out, and says why", async () => {
    const s = await platformxOrg();
    s.person("di");
    await s.sync();
    s.coder.suspendUser(find(s, "di").id);
    s.coder.updateUser(find(s, "di").id, { status: "active" }); // SCIM: no notification
    s.deliver();
    const { hints } = await s.hookRun();
    expect(sent(s)).toEqual([]);
    expect(hints.find((h) => h.outcome === "run")?.note).toContain(
      "PlatformX: no coder.user.suspended event: Coder now says active",
    );
  });

  it("records an event it cannot attribute as invalid, with why, and never sends it", async () => {
    const s = await platformxOrg({ identities: { exclude: ["svc-*"] } });
    await s.sync();
    const svc = s.coder.createUser({ username: "svc-build" });
    s.coder.createWorkspace(svc.id, { name: "ci" });
    s.deliver();
    await s.hookRun();
    expect(sent(s)).toEqual([]);
    expect(s.store.listEvents({ limit: 10 }).items).toMatchObject([
      { name: "coder.workspace.created", outcome: "invalid", email: null },
      { name: "coder.user.created", outcome: "invalid", email: null },
    ]);
    expect(s.store.listEvents({ limit: 1 }).items[0]?.error?.message).toMatch(/^excluded/);
  });
});

describe("PlatformX events a pass observed", () => {
  it("sends a transition no notification announced, once, and nothing when its notification comes", async () => {
    const s = await platformxOrg();
    s.person("ivy");
    // The first pass after PlatformX is set up sends no backfill: everyone is already there.
    await s.sync();
    expect(sent(s)).toEqual([]);
    s.coder.updateUser(find(s, "ivy").id, { status: "suspended" }); // SCIM
    const ned = s.coder.createUser({ username: "ned" }); // notified, but the notification is late
    s.dx.addUser({ email: ned.email });
    await s.statusPass();
    expect(sent(s).map((e) => [e.name, e.email, e.metadata?.source])).toEqual([
      ["coder.user.suspended", "ivy@example.com", "pass"],
      ["coder.user.created", "ned@example.com", "pass"],
    ]);
    expect(sent(s)[1]?.timestamp).toBe(seconds(ned.created_at));
    // ned's creation arrives now, and a copy of a suspension of ivy (Coder said it too).
    s.coder.suspendUser(find(s, "ivy").id);
    s.deliver();
    const { hints } = await s.hookRun();
    await s.statusPass();
    await s.sync();
    expect(sent(s)).toHaveLength(2);
    expect(hints.filter((h) => h.outcome === "run").map((h) => h.note)).toEqual(
      expect.arrayContaining([expect.stringContaining("PlatformX already has it")]),
    );
  });

  it("sends a departure and a return from suspension that a full run wrote", async () => {
    const s = await platformxOrg();
    s.person("jo", { Coder: "Suspended" });
    s.person("kit");
    await s.sync();
    s.coder.removeUser(find(s, "kit").id); // gone without a notification
    await s.sync();
    expect(sent(s).map((e) => [e.name, e.email])).toEqual([
      ["coder.user.activated", "jo@example.com"],
      ["coder.user.deleted", "kit@example.com"],
    ]);
  });
});

describe("PlatformX's outbox", () => {
  it("rides out a storm of 429s and sends the event once", async () => {
    const s = await platformxOrg({ dx: { maxRetryTimeMs: 50 } });
    s.person("lu");
    await s.sync();
    s.dx.faults.add({
      match: /events\.track/,
      status: 429,
      headers: { "retry-after": "0" },
      body: JSON.stringify({ ok: false, error: "rate_limited" }),
    });
    s.coder.suspendUser(find(s, "lu").id);
    s.deliver();
    await s.hookRun();
    // The storm outlasts each dispatch's retries (bounded by maxRetryTimeMs): the event is put
    // back each time, never lost, never counted as sent.
    await s.platformx?.dispatch();
    const waiting = s.store.listEvents({ limit: 1 }).items[0];
    expect(waiting).toMatchObject({ outcome: "pending", attempts: 2, claimedBy: null });
    expect(s.dx.requests.filter((r) => r.key === "POST /events.track").length).toBeGreaterThan(2);
    s.dx.faults.clear();
    await s.platformx?.dispatch();
    expect(sent(s).map((e) => e.name)).toEqual(["coder.user.suspended"]);
    expect(s.store.listEvents({ limit: 1 }).items[0]).toMatchObject({ outcome: "sent" });
    await s.platformx?.dispatch();
    expect(s.dx.events).toHaveLength(1);
  });

  it("puts an event DX answered with a 5xx back, and sends it once DX recovers", async () => {
    const s = await platformxOrg();
    s.person("pia");
    await s.sync();
    s.dx.faults.add({ match: /events\.track/, status: 503, times: 4 });
    s.coder.suspendUser(find(s, "pia").id);
    s.deliver();
    await s.hookRun(); // two tries (dx.maxAttempts), both 503
    expect(s.store.listEvents({ limit: 1 }).items[0]).toMatchObject({
      outcome: "pending",
      attempts: 1,
    });
    await s.platformx?.dispatch(); // two more 503s
    await s.platformx?.dispatch();
    expect(s.store.listEvents({ limit: 1 }).items[0]).toMatchObject({
      outcome: "sent",
      attempts: 3,
    });
    expect(s.dx.events).toHaveLength(1);
  });

  it("never resends an event whose send a killed process began (unknown), unless resendUnknown", async () => {
    for (const resendUnknown of [false, true]) {
      const s = await platformxOrg({ platformx: { resendUnknown } });
      s.person("mo");
      await s.sync();
      s.coder.suspendUser(find(s, "mo").id);
      s.deliver();
      // Recorded, then claimed by a process killed before DX answered.
      const [id] = s.store.recordEvents([
        {
          key: "status:killed:0",
          name: "coder.user.suspended",
          email: "mo@example.com",
          timestamp: "1764000000",
          metadata: { source: "webhook" },
          source: "webhook",
          subjectUserId: "killed",
          notificationId: null,
          runId: null,
          outcome: "pending",
          error: null,
          recordedAt: ARRIVED_AT,
        },
      ]);
      const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
      const holder = formatHolder({ host: hostname(), pid: dead, start: "1", nonce: "k" });
      expect(s.store.claimEvent(id as string, 0, ARRIVED_AT, holder)).toBe(true);
      await s.platformx?.dispatch();
      const event = s.store.listEvents({ limit: 10 }).items.find((e) => e.id === id);
      if (resendUnknown) {
        expect(event).toMatchObject({ outcome: "sent", attempts: 2 });
        expect(s.dx.events.filter((e) => e.timestamp === "1764000000")).toHaveLength(1);
      } else {
        expect(event).toMatchObject({ outcome: "unknown", attempts: 1 });
        expect(event?.error?.message).toMatch(/DX may have it; not sent again/);
        expect(s.dx.events.filter((e) => e.timestamp === "1764000000")).toHaveLength(0);
      }
    }
  });

  it("keeps an event whose answer was lost unknown: DX took it, and it is not sent again", async () => {
    const s = await platformxOrg({ dx: { timeoutMs: 200 } });
    s.person("nia");
    await s.sync();
    s.dx.faults.add({ match: /events\.track/, holdResponseMs: 1000, times: 1 });
    s.coder.suspendUser(find(s, "nia").id);
    s.deliver();
    await s.hookRun();
    await s.platformx?.dispatch();
    expect(s.dx.events).toHaveLength(1);
    expect(s.store.listEvents({ limit: 1 }).items[0]).toMatchObject({
      outcome: "unknown",
      attempts: 1,
    });
  });

  it("records a refused events token and reports it, while attribute runs go on", async () => {
    const s = await platformxOrg({ platformx: { token: "not-the-project-token-0000" } });
    s.person("oz");
    await s.sync();
    s.coder.suspendUser(find(s, "oz").id);
    s.deliver();
    const { run } = await s.hookRun();
    expect(run.status).toBe("succeeded");
    expect(s.dx.attributesOf("oz@example.com")).toMatchObject({ Coder: "Suspended" });
    expect(s.dx.events).toEqual([]);
    expect(s.store.listEvents({ limit: 1 }).items[0]).toMatchObject({
      outcome: "rejected",
      error: { code: "dx_unauthorized" },
    });
    expect(s.store.listEvents({ limit: 1 }).items[0]?.error?.message).toMatch(/platformx\.token/);
  });
});
