import { describe, expect, it } from "vitest";
import { MemorySyncStore } from "../testing/memory-store";
import { type BudgetTimeline, SharedBudget } from "./shared-budget";

/** The store's timeline, with every reservation written down: who, how many, from when. */
function recordingTimeline(store: BudgetTimeline) {
  const reservations: { by: string; first: number; count: number; spacingMs: number }[] = [];
  const as = (by: string): BudgetTimeline => ({
    reserveRequests: (name, count, spacingMs, now) => {
      const first = store.reserveRequests(name, count, spacingMs, now);
      reservations.push({ by, first, count, spacingMs });
      return first;
    },
  });
  /** Every slot handed out, in time order, with whose it is. */
  const slots = () =>
    reservations
      .flatMap((r) =>
        Array.from({ length: r.count }, (_, i) => ({ by: r.by, at: r.first + i * r.spacingMs })),
      )
      .sort((a, b) => a.at - b.at);
  return { as, slots };
}

/** Takes `count` turns from `budget`, `atOnce` at a time, each answered at once. */
async function turns(budget: SharedBudget, count: number, atOnce = 1): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      for (; left > 0; left--) {
        const done = await budget.take();
        done();
      }
    }),
  );
}

/** The longest stretch of the timeline one process held without the other getting a slot. */
function longestRun(slots: { by: string }[]): number {
  let longest = 0;
  for (let i = 0, run = 0; i < slots.length; i++) {
    run = i > 0 && slots[i - 1]?.by === slots[i]?.by ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

describe("SharedBudget: one DX budget for every process of a store", () => {
  it("gives two processes' requests slots on one timeline, a spacing apart, never the same one, taking turns", async () => {
    const store = new MemorySyncStore();
    const timeline = recordingTimeline(store);
    // 6,000 a minute: a slot every 10 ms, reserved a few at a time (at most 25, a quarter second).
    const cli = new SharedBudget(timeline.as("cli"), 6000);
    const serve = new SharedBudget(timeline.as("serve"), 6000);
    await Promise.all([turns(cli, 40, 2), turns(serve, 40, 2)]);
    const slots = timeline.slots();
    expect(slots.length).toBeGreaterThanOrEqual(80);
    for (let i = 1; i < slots.length; i++)
      expect((slots[i]?.at as number) - (slots[i - 1]?.at as number)).toBeGreaterThanOrEqual(
        10 - 1e-9,
      );
    // Neither starves: the other's turn is never more than a quarter second of slots away.
    expect(longestRun(slots)).toBeLessThanOrEqual(25);
    expect(new Set(slots.slice(0, 20).map((s) => s.by))).toEqual(new Set(["cli", "serve"]));
  });

  it("keeps to its own budget when the store cannot reserve, and says so once", async () => {
    const warnings: string[] = [];
    const budget = new SharedBudget(
      {
        reserveRequests: () => {
          throw new Error("database is locked");
        },
      },
      60_000,
      { info: () => {}, warn: (message) => warnings.push(message), error: () => {} },
    );
    await turns(budget, 5, 5);
    expect(warnings).toEqual([
      "the shared DX request budget is unavailable; this process keeps its own",
    ]);
  });
});
