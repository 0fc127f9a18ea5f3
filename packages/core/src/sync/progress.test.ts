import { afterEach, describe, expect, it } from "vitest";
import { describeProgress, formatSeconds, ProgressMeter, type ProgressReport } from "./progress";

describe("progress outside a terminal", () => {
  let meter: ProgressMeter | null = null;
  afterEach(() => meter?.stop());

  it("reports the latest figures of the current phase, with its rate and time left", () => {
    let now = 0;
    const reports: ProgressReport[] = [];
    meter = new ProgressMeter(
      (r) => reports.push(r),
      10_000,
      () => now,
    );
    meter.update({ phase: "read", done: 0, total: 2 });
    now = 2_000;
    meter.update({ phase: "apply", done: 0, total: 100_000 });
    now = 12_000;
    meter.update({ phase: "apply", done: 98, total: 100_000 });
    meter.tick();
    expect(reports.map((r) => r.line)).toEqual(["apply 98/100,000 · 9.8/s · eta 2h49m"]);
    now = 22_000;
    meter.update({ phase: "apply", done: 12_400, total: 100_000 });
    meter.tick();
    expect(reports[1]).toMatchObject({ phase: "apply", done: 12_400, perSecond: 620 });
    expect(reports[1]?.line).toBe("apply 12,400/100,000 · 620/s · eta 2m22s");
    meter.update({ phase: "done", done: 100_000, total: 100_000 });
    meter.tick();
    expect(reports).toHaveLength(2);
  });

  it("says the time left is unknown before anything is done", () => {
    expect(describeProgress({ phase: "apply", done: 0, total: 10 }, 5_000).line).toBe(
      "apply 0/10 · 0.0/s · eta unknown",
    );
    expect([formatSeconds(45), formatSeconds(725), formatSeconds(8_940)]).toEqual([
      "45s",
      "12m05s",
      "2h29m",
    ]);
  });
});
