import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { afterEach, describe, expect, it } from "vitest";
import { CoderClient } from "../clients/coder-client";
import { DxClient } from "../clients/dx-client";
import type { ConfigInput } from "../config/schema";
import { activeDaysAndWeeks, usageFrequency } from "../domain/mapping";
import type { ChangeRow } from "../ports";
import { aConfig } from "../testing/builders";
import { MemorySyncStore } from "../testing/memory-store";
import { runSync } from "./start-sync";

const DAY = 86_400_000;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

/** Both simulators on one clock that the test moves, a memory store, and a sync over loopback. */
async function setUp(input: ConfigInput) {
  let now = new Date("2026-11-22T09:30:00.000Z");
  const clock = { now: () => now };
  const coder = await CoderSimulator.start({ now: () => now });
  const dx = await DxSimulator.start();
  cleanup.push(
    () => coder.close(),
    () => dx.close(),
  );
  const config = aConfig({
    ...input,
    coder: { requestsPerMinute: 60_000, retryBaseMs: 1 },
    dx: { requestsPerMinute: 60_000, retryBaseMs: 1 },
  });
  const store = new MemorySyncStore();
  const sync = () =>
    runSync(
      {
        coder: new CoderClient({ ...config.coder, url: coder.url, token: coder.token }),
        dx: new DxClient({ ...config.dx, url: dx.url, token: dx.token }),
        store,
        clock,
      },
      { config, trigger: "cli" },
    );
  /** `2026-11-21` for `ago(1)` when today is 2026-11-22. */
  const ago = (days: number) =>
    new Date(Date.parse(now.toISOString().slice(0, 10)) - days * DAY).toISOString().slice(0, 10);
  const advance = (days: number) => {
    now = new Date(now.getTime() + days * DAY);
  };
  const rows = (runId: string): ChangeRow[] => store.listChanges({ runId, limit: 100 }).items;
  return { coder, dx, store, sync, ago, advance, rows };
}

describe("usage frequency", () => {
  it("reads each whole UTC day of the window once; a session over midnight counts on both days", async () => {
    const s = await setUp({
      groups: { frequency: {} },
      safety: { allowNewGroups: ["Coder usage frequency"] },
    });
    const night = s.coder.addUser({ username: "night" });
    // 23:59–00:01: a minute on each side of midnight.
    s.coder.updateUser(night.id, { activity: { [s.ago(2)]: 60, [s.ago(1)]: 60 } });
    s.dx.addUser({ email: night.email });
    const busy = s.coder.addUser({ username: "busy" });
    s.coder.updateUser(busy.id, { activity: { [s.ago(3)]: 5 * 3600, [s.ago(10)]: 5 * 3600 } });
    s.dx.addUser({ email: busy.email });
    const { run } = await s.sync();
    expect(run.status).toBe("succeeded");
    const days = s.coder.insightsWindows.filter(
      (w) => Date.parse(w.end) - Date.parse(w.start) === DAY,
    );
    expect(days).toHaveLength(28);
    expect(days.map((w) => [w.start, w.end])).toContainEqual([
      "2026-10-25T00:00:00Z",
      "2026-10-26T00:00:00Z",
    ]);
    expect(days.map((w) => [w.start, w.end])).toContainEqual([
      "2026-11-21T00:00:00Z",
      "2026-11-22T00:00:00Z",
    ]);
    // The window's hours are the days' sum: no whole-window report beside the 28 days.
    expect(s.coder.insightsWindows).toHaveLength(28);
    expect(s.rows(run.id).find((r) => r.email === busy.email)?.evidence).toMatchObject({
      hours: 10,
      activeDays: 2,
    });
    const row = s.rows(run.id).find((r) => r.email === night.email);
    expect(row?.evidence).toEqual({
      hours: 0,
      activeDays: 2,
      activeWeeks: 1,
      window: { start: "2026-10-25T00:00:00.000Z", end: "2026-11-22T00:00:00.000Z", days: 28 },
    });
    expect(s.dx.attributesOf(night.email)).toMatchObject({ "Coder usage frequency": "Monthly" });
  });

  it("puts Daily, Weekly and Monthly at their exact thresholds", () => {
    const frequency = aConfig({ groups: { frequency: {} } }).groups.frequency;
    if (!frequency) throw new Error("frequency group not configured");
    const days = (...active: number[]) => {
      const perDay = new Array<number>(28).fill(0);
      for (const day of active) perDay[day] = 60;
      return usageFrequency(activeDaysAndWeeks(perDay), frequency);
    };
    const first = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(days(...first(15))).toBe("Daily"); // 15 of 28 days
    expect(days(...first(14))).toBe("Monthly"); // 14 days, but in 2 of the 4 weeks
    expect(days(0, 7, 14)).toBe("Weekly"); // 3 of 4 weeks
    expect(days(0, 7)).toBe("Monthly"); // 2 weeks
    expect(days()).toBe("None");
  });
});

describe("steady levels", () => {
  it("moves up at once, holds a dip for downgradeAfterDays, then writes the lower level", async () => {
    const s = await setUp({ groups: { usage: { downgradeAfterDays: 7 } } });
    const ann = s.coder.addUser({ username: "ann", usageSeconds: 2 * 3600 });
    s.dx.addUser({ email: ann.email });
    const light = await s.sync();
    expect(s.dx.attributesOf(ann.email)).toMatchObject({ "Coder usage level": "Light" });
    s.coder.updateUser(ann.id, { usageSeconds: 45 * 3600 });
    await s.sync(); // up: at once
    expect(s.dx.attributesOf(ann.email)).toMatchObject({ "Coder usage level": "Heavy" });
    expect(light.run.status).toBe("succeeded");

    s.coder.updateUser(ann.id, { usageSeconds: 20 * 3600 }); // a dip: Moderate computed
    const writes = s.dx.writes.length;
    const held = await s.sync();
    expect(s.dx.writes).toHaveLength(writes);
    expect(held.plan?.entries[0]?.note).toBe("held at Heavy until 2026-11-29 (computed Moderate)");
    s.advance(6);
    await s.sync();
    expect(s.dx.attributesOf(ann.email)).toMatchObject({ "Coder usage level": "Heavy" });
    s.advance(1); // seven days of Moderate: released
    const released = await s.sync();
    expect(s.dx.attributesOf(ann.email)).toMatchObject({ "Coder usage level": "Moderate" });
    expect(s.rows(released.run.id)[0]?.evidence?.held).toBeUndefined();
  });

  it("restarts the clock when the level comes back up, and never holds a status change", async () => {
    const s = await setUp({ groups: { usage: { downgradeAfterDays: 7 } } });
    const bo = s.coder.addUser({ username: "bo", usageSeconds: 45 * 3600 });
    s.dx.addUser({ email: bo.email });
    await s.sync();
    s.coder.updateUser(bo.id, { usageSeconds: 20 * 3600 });
    await s.sync(); // held since today
    s.advance(4);
    s.coder.updateUser(bo.id, { usageSeconds: 45 * 3600 });
    await s.sync(); // back up: the hold ends
    s.coder.updateUser(bo.id, { usageSeconds: 20 * 3600 });
    s.advance(4);
    const again = await s.sync(); // 8 days after the first dip, but only today's dip counts
    expect(again.plan?.entries[0]?.note).toContain("held at Heavy until");
    s.coder.updateUser(bo.id, { status: "suspended" });
    await s.sync();
    expect(s.dx.attributesOf(bo.email)).toMatchObject({
      Coder: "Suspended",
      "Coder usage level": "Moderate",
    });
  });
});
