import { emptyRunCounts, type FinalRunStatus } from "@coder-dx/core";
import { describe, expect, it } from "vitest";
import { createTestApp, signInOn, TOKENS } from "../testing";
import { overdueBecause } from "./routes";

/** A finished real run with these counts. */
function run(
  t: ReturnType<typeof createTestApp>,
  status: FinalRunStatus,
  counts: Partial<ReturnType<typeof emptyRunCounts>> = {},
  options: { dryRun?: boolean; message?: string } = {},
) {
  const started = t.store.startRun({
    trigger: "schedule",
    dryRun: options.dryRun ?? false,
    scoped: false,
    startedAt: "2026-12-06T06:00:00.000Z",
  });
  return t.store.finishRun(started.id, {
    status,
    finishedAt: "2026-12-06T06:00:05.000Z",
    error: options.message
      ? { code: status === "halted" ? "halted" : "internal", message: options.message }
      : null,
    counts: { ...emptyRunCounts(), ...counts },
    sourceCount: 10,
  });
}

describe("the console's Overview", () => {
  it("lists what needs attention, each linked, and offers Force past brakes only after a halt", async () => {
    const app = createTestApp();
    const t = await signInOn(app, TOKENS.admin);
    const good = run(app, "succeeded", { applied: 4, changed: 4 });
    let page = await (await t.get("/")).text();
    expect(page).toContain("Nothing needs attention.");
    expect(page).not.toContain("Force past brakes");
    expect(page).toContain(`by <a href="/runs/${good.id}">run ${good.id}</a> (4 people written)`);

    const halted = run(
      app,
      "halted",
      { changed: 8, rejected: 0, invalid: 2, drift: 1 },
      { message: "8 removals exceed safety.maxRemovals (5)" },
    );
    const dry = run(app, "succeeded", { changed: 3 }, { dryRun: true });
    page = await (await t.get("/")).text();
    expect(page).toContain("Force past brakes");
    expect(page).toContain(
      `<a href="/runs/${halted.id}">Run ${halted.id} halted at a brake before any write: 8 removals exceed safety.maxRemovals (5)</a>`,
    );
    expect(page).toContain(
      `<a href="/runs/${halted.id}?outcome=invalid">2 people without a usable email`,
    );
    expect(page).toContain(
      `<a href="/runs/${halted.id}?outcome=skipped">1 value changed by hand in DX`,
    );
    // Still up to date as of the good run; the dry run is marked and says what it would write.
    expect(page).toContain(`by <a href="/runs/${good.id}">run ${good.id}</a>`);
    expect(page).toContain(`Latest dry run: <a href="/runs/${dry.id}">run ${dry.id}</a>`);
    expect(page).toContain("would write 3 people; nothing was written to DX");
  });

  it("calls DX overdue when the last success is older than two of the schedule's intervals", () => {
    const hourly = 3_600_000;
    const success = { finishedAt: "2026-12-06T06:00:00.000Z" } as never;
    expect(overdueBecause(new Date("2026-12-06T07:59:00Z"), success, hourly)).toBeNull();
    expect(overdueBecause(new Date("2026-12-06T09:00:00Z"), success, hourly)).toBe(
      "the schedule runs every 1 h, and DX was last brought up to date 3 h ago",
    );
    expect(overdueBecause(new Date("2026-12-09T09:00:00Z"), success, hourly)).toMatch(
      /3 days ago$/,
    );
    expect(overdueBecause(new Date(), null, hourly)).toMatch(/no real run has succeeded yet$/);
    expect(overdueBecause(new Date(), success, null)).toBeNull();
  });
});
