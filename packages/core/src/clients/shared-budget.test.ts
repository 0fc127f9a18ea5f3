import { describe, expect, it } from "vitest";
import { MemorySyncStore } from "../testing/memory-store";
import { SharedBudget } from "./shared-budget";

/** Turns taken from `budget` by `workers` at once, each answered at once, until `stop()`. */
function keepTaking(budget: SharedBudget, who: string, grants: { by: string; at: number }[]) {
  let stopped = false;
  const workers = Array.from({ length: 4 }, async () => {
    while (!stopped) {
      const done = await budget.take();
      grants.push({ by: who, at: performance.now() });
      done();
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(workers);
  };
}

/** The most grants in any window of `ms` (grants in time order). */
function busiestWindow(grants: { at: number }[], ms: number): number {
  let most = 0;
  for (let first = 0, last = 0; last < grants.length; last++) {
    while ((grants[last]?.at as number) - (grants[first]?.at as number) >= ms) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe("SharedBudget: one DX budget for every process of a store", () => {
  it("lets a second process in once the first has narrowed to its share: never more than the budget in a second, and neither starves", async () => {
    const store = new MemorySyncStore();
    const grants: { by: string; at: number }[] = [];
    // 6,000 a minute: 100 in any second, alone; 50 each when two share it.
    const serve = new SharedBudget(store, 6000, "serve");
    const cli = new SharedBudget(store, 6000, "cli");
    const stopServe = keepTaking(serve, "serve", grants);
    await until(() => grants.length >= 100);
    const cliFrom = performance.now();
    const stopCli = keepTaking(cli, "cli", grants);
    await until(() => grants.filter((g) => g.by === "cli").length >= 60);
    await Promise.all([stopServe(), stopCli()]);

    expect(cli.sharedBy).toBe(2);
    expect(serve.sharedBy).toBe(2);
    // cli waited until serve had noticed it and serve's wider-share turns had left DX's windows.
    const cliFirst = grants.find((g) => g.by === "cli")?.at as number;
    expect(cliFirst - cliFrom).toBeGreaterThanOrEqual(2_000);
    // Alone, serve had the whole budget; together they never had more.
    // (A turn may go up to a millisecond early, as a timer's granularity: RateBudget.take.)
    expect(busiestWindow(grants, 999)).toBeLessThanOrEqual(100);
    // Neither starves: while cli took its 60 turns (a share and then some), serve kept taking its.
    const together = grants.filter((g) => g.at >= cliFirst);
    expect(together.filter((g) => g.by === "serve").length).toBeGreaterThanOrEqual(40);
  });

  it("keeps to the share it last saw when the store cannot say, and says so once", async () => {
    const warnings: string[] = [];
    const budget = new SharedBudget(
      {
        lookAtBudget: () => {
          throw new Error("database is locked");
        },
        leaveBudget: () => {
          throw new Error("database is locked");
        },
      },
      60_000,
      "cli",
      { info: () => {}, warn: (message) => warnings.push(message), error: () => {} },
    );
    for (let i = 0; i < 5; i++) (await budget.take())();
    expect(budget.sharedBy).toBe(1);
    expect(warnings).toEqual([
      "the shared DX request budget is unavailable; this process keeps its own",
    ]);
  });
});
