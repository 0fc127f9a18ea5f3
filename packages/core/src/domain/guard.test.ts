import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../config/schema";
import { aConfig } from "../testing/builders";
import { guardPlan } from "./guard";
import type { Plan, PlanEntry } from "./plan";

function aPlan(removals: number, tracked: number, writtenGroups: string[] = ["Coder"]): Plan {
  const entry: PlanEntry = {
    email: "a@example.com",
    coderUserId: "1",
    username: null,
    action: "set",
    drift: false,
    note: null,
    desired: null,
    observed: null,
    attributes: { before: {}, after: Object.fromEntries(writtenGroups.map((g) => [g, "x"])) },
    properties: null,
  };
  return {
    ownedGroups: writtenGroups,
    entries: [entry],
    adopt: [],
    holdUpdates: [],
    counts: {
      users: 1,
      unchanged: 0,
      changed: 1,
      invalid: 0,
      excluded: 0,
      merged: 0,
      unmatched: 0,
      drift: 0,
      removals,
      tracked,
    },
  };
}

const guard = (
  plan: Plan,
  options: {
    config?: ConfigInput;
    sourceCount?: number;
    lastSourceCount?: number | null;
    dxGroups?: string[] | null;
  } = {},
) =>
  guardPlan({
    plan,
    config: aConfig(options.config),
    sourceCount: options.sourceCount ?? 100,
    lastSourceCount: options.lastSourceCount ?? null,
    dxGroups:
      options.dxGroups === undefined
        ? null
        : options.dxGroups === null
          ? null
          : new Set(options.dxGroups),
  }).map((h) => h.reason);

describe("guardPlan", () => {
  it("halts only when removals exceed both the count and the percentage", () => {
    expect(guard(aPlan(5, 10))).toEqual([]); // 5 is not more than 5
    expect(guard(aPlan(6, 100))).toEqual([]); // 6% is not more than 10%
    expect(guard(aPlan(11, 100))).toEqual(["too_many_removals"]);
    expect(guard(aPlan(11, 100), { config: { safety: { maxRemovals: 20 } } })).toEqual([]);
  });

  it("halts when Coder lists fewer users than minSourceRatio of the last run", () => {
    expect(guard(aPlan(0, 0), { sourceCount: 49, lastSourceCount: 100 })).toEqual([
      "source_shrank",
    ]);
    expect(guard(aPlan(0, 0), { sourceCount: 50, lastSourceCount: 100 })).toEqual([]);
    expect(guard(aPlan(0, 0), { sourceCount: 1, lastSourceCount: null })).toEqual([]);
  });

  it("halts on a group DX does not have unless it is a default group or allowed", () => {
    expect(guard(aPlan(0, 0, ["Coder", "Coder usage level"]), { dxGroups: [] })).toEqual([]);
    expect(guard(aPlan(0, 0, ["Codr"]), { dxGroups: ["department"] })).toEqual([
      "new_attribute_group",
    ]);
    expect(guard(aPlan(0, 0, ["Coder login"]), { dxGroups: ["coder login"] })).toEqual([]);
    expect(
      guard(aPlan(0, 0, ["Coder login"]), {
        dxGroups: [],
        config: { safety: { allowNewGroups: ["coder LOGIN"] } },
      }),
    ).toEqual([]);
    expect(
      guard(aPlan(0, 0, ["Anything"]), {
        dxGroups: [],
        config: { safety: { allowNewGroups: true } },
      }),
    ).toEqual([]);
  });
});

describe("safety.maxChangedPercent", () => {
  /** `tracked` people, the first `moved` moving from one template to another, `first` getting one. */
  function swings(tracked: number, moved: number, first = 0): Plan {
    const plan = aPlan(0, tracked);
    const entry = (i: number, before: string | null, after: string): PlanEntry => ({
      ...(plan.entries[0] as PlanEntry),
      email: `p${i}@example.com`,
      attributes: { before: { Template: before }, after: { Template: after } },
    });
    plan.entries = [
      ...Array.from({ length: moved }, (_, i) => entry(i, "Web", "Web (new)")),
      ...Array.from({ length: first }, (_, i) => entry(moved + i, null, "Web")),
    ];
    return plan;
  }
  const config = {
    groups: { extra: [{ name: "Template", from: "template" as const }] },
  };

  it("halts an extra group moving more than the share of the people tracked, never at it", () => {
    expect(guard(swings(10, 5), { config })).toEqual([]);
    expect(guard(swings(10, 6), { config })).toEqual(["too_many_changes"]);
    expect(
      guard(swings(10, 6), { config: { ...config, safety: { maxChangedPercent: 60 } } }),
    ).toEqual([]);
  });

  it("does not count a first value (a group just added), and needs people tracked", () => {
    expect(guard(swings(10, 0, 10), { config })).toEqual([]);
    expect(guard(swings(0, 5), { config })).toEqual([]);
  });
});
