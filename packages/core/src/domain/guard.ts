import type { Config } from "../config/schema";
import type { Plan } from "./plan";

export interface Halt {
  reason: "too_many_removals" | "source_shrank" | "new_attribute_group" | "too_many_changes";
  message: string;
}

export interface GuardInput {
  plan: Plan;
  config: Config;
  /** Coder accounts in this run's listing, and in the last complete run's (null: no earlier run). */
  sourceCount: number;
  lastSourceCount: number | null;
  /** Lower-cased attribute group names DX has now (null: not read). */
  dxGroups: ReadonlySet<string> | null;
}

const DEFAULT_GROUP_NAMES = new Set(["coder", "coder usage level"]);

/**
 * The brakes: reasons to write nothing at all. Pure; `--force` is the caller's business.
 * Each returned halt names the number that tripped it and the setting that governs it.
 */
export function guardPlan({
  plan,
  config,
  sourceCount,
  lastSourceCount,
  dxGroups,
}: GuardInput): Halt[] {
  const halts: Halt[] = [];
  const { removals, tracked } = plan.counts;
  const { maxRemovals, maxRemovalsPercent, minSourceRatio, allowNewGroups } = config.safety;
  const percent = tracked === 0 ? 100 : (removals / tracked) * 100;
  if (removals > maxRemovals && percent > maxRemovalsPercent) {
    halts.push({
      reason: "too_many_removals",
      message: `the plan retires or clears ${removals} of ${tracked} tracked users (${percent.toFixed(1)}%), over safety.maxRemovals=${maxRemovals} and safety.maxRemovalsPercent=${maxRemovalsPercent}`,
    });
  }
  if (
    lastSourceCount !== null &&
    lastSourceCount > 0 &&
    sourceCount < minSourceRatio * lastSourceCount
  ) {
    halts.push({
      reason: "source_shrank",
      message: `Coder listed ${sourceCount} users, under safety.minSourceRatio=${minSourceRatio} × the last run's ${lastSourceCount}`,
    });
  }
  halts.push(...extraGroupSwings(plan, config));
  if (dxGroups !== null && allowNewGroups !== true) {
    const allowed = new Set([
      ...DEFAULT_GROUP_NAMES,
      ...(allowNewGroups || []).map((g) => g.toLowerCase()),
    ]);
    const written = new Set<string>();
    for (const entry of plan.entries) {
      for (const [group, value] of Object.entries(entry.attributes?.after ?? {})) {
        if (value !== null) written.add(group);
      }
    }
    const created = [...written].filter(
      (g) => !dxGroups.has(g.toLowerCase()) && !allowed.has(g.toLowerCase()),
    );
    if (created.length > 0) {
      halts.push({
        reason: "new_attribute_group",
        message: `the plan would create attribute group(s) DX does not have: ${created.map((g) => `"${g}"`).join(", ")}; check the spelling, or list them in safety.allowNewGroups`,
      });
    }
  }
  return halts;
}

/**
 * An extra group in which more than `safety.maxChangedPercent` of the people the run tracks
 * would move from one value to another: a template renamed in Coder, a group sync gone wrong,
 * rewriting everyone at once. A first value for someone who had none is no move (adding a
 * group is not braked), nor is clearing one.
 */
function extraGroupSwings(plan: Plan, config: Config): Halt[] {
  const { tracked } = plan.counts;
  const limit = config.safety.maxChangedPercent;
  if (tracked === 0 || config.groups.extra.length === 0) return [];
  const moved = new Map<string, number>(config.groups.extra.map((g) => [g.name, 0]));
  for (const entry of plan.entries) {
    if (!entry.attributes) continue;
    for (const group of moved.keys()) {
      const before = entry.attributes.before[group] ?? null;
      const after = entry.attributes.after[group] ?? null;
      if (before !== null && after !== null && before !== after)
        moved.set(group, (moved.get(group) ?? 0) + 1);
    }
  }
  const halts: Halt[] = [];
  for (const [group, count] of moved) {
    const percent = (count / tracked) * 100;
    if (percent > limit)
      halts.push({
        reason: "too_many_changes",
        message: `the plan moves ${count} of ${tracked} tracked users (${percent.toFixed(1)}%) to another "${group}" value, over safety.maxChangedPercent=${limit} (a template renamed, or a group sync gone wrong?)`,
      });
  }
  return halts;
}
