import { describe, expect, it } from "vitest";
import { RateBudget } from "./rate-budget";

/**
 * The start times `take` hands out when every request is answered instantly, read from the
 * budget's own schedule rather than from the clock.
 */
async function schedule(budget: RateBudget, count: number): Promise<number[]> {
  const internals = budget as unknown as { ring: { at: number }[]; index: number };
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const pending = budget.take();
    const reserved = internals.ring[
      (internals.index - 1 + internals.ring.length) % internals.ring.length
    ] as { at: number; end: number | null };
    starts.push(reserved.at);
    // Answered at once, so the next window counts from here; no need to wait for the sleep.
    reserved.end = reserved.at;
    void pending;
  }
  return starts;
}

const busiestWindow = (starts: number[], windowMs: number) => {
  let worst = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    // Times are sums of floating-point clock readings: allow a nanosecond of rounding.
    while (j < starts.length && (starts[j] as number) < (starts[i] as number) + windowMs - 1e-6)
      j++;
    worst = Math.max(worst, j - i);
  }
  return worst;
};

describe("RateBudget", () => {
  it("never schedules more than requestsPerMinute / 60 starts in any 1-second window", async () => {
    for (const rpm of [600, 1200, 60_000]) {
      const starts = await schedule(RateBudget.perSecond(rpm), 3 * (rpm / 60) + 7);
      expect(busiestWindow(starts, 1000)).toBe(rpm / 60);
    }
  });

  it("keeps budgets under one request per second to their minute rate", async () => {
    const starts = await schedule(RateBudget.perSecond(30), 4);
    expect((starts[3] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(3 * 2000 - 1e-6);
  });

  it("lets a window's worth start at once, then waits for the window to slide", async () => {
    const starts = await schedule(RateBudget.perSecond(1200), 21);
    expect((starts[19] as number) - (starts[0] as number)).toBeLessThan(50);
    expect((starts[20] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(1000 - 1e-6);
  });

  it("starts a request a window after the answer of the one a window's count before it, even when that one was still waiting when this one asked", async () => {
    // Two per second. A and B leave at once; C asks before A is answered, and must not assume
    // A takes its whole arrival allowance (a saturated budget would then run at half its rate).
    const budget = new RateBudget({ limit: 2, windowMs: 1000 });
    const internals = budget as unknown as { ring: { at: number; end: number | null }[] };
    const doneA = budget.take() as () => void;
    const slotA = internals.ring[0] as { at: number; end: number | null };
    budget.take();
    const stop = new AbortController();
    const c = budget.take(stop.signal);
    expect(typeof c).not.toBe("function"); // it waits
    const waiting = c as Promise<() => void>;
    doneA();
    const answeredA = slotA.end;
    // C's turn is decided once A's answer is in (a turn of the event loop), then it sleeps to it:
    // the schedule is read here, not the clock after a wake-up a busy machine makes late.
    await new Promise((resolve) => setImmediate(resolve));
    expect(answeredA).toBeTypeOf("number");
    expect((internals.ring[0]?.at as number) - (answeredA as number)).toBeCloseTo(1000, 3);
    stop.abort();
    await expect(waiting).rejects.toThrow();
  });
});
