import type { Config } from "../config/schema";
import type { AttributeValues } from "./attributes";
import type { Evidence } from "./mapping";

/** Per email: group → when its lower value was first computed (ISO), while it stays lower. */
export type Holds = ReadonlyMap<string, Readonly<Record<string, string>>>;

export interface HoldUpdate {
  email: string;
  /** The person's holds after this run: empty when none remain. */
  holds: Record<string, string>;
}

const DAY_MS = 86_400_000;

/** The groups with steady levels, each with its values from highest to lowest and its delay. */
function steadyGroups(config: Config): { name: string; order: string[]; days: number }[] {
  const { usage, frequency } = config.groups;
  const groups = [
    {
      name: usage.name,
      order: [usage.values.heavy, usage.values.moderate, usage.values.light, usage.values.none],
      days: usage.downgradeAfterDays,
    },
  ];
  if (frequency) {
    groups.push({
      name: frequency.name,
      order: [
        frequency.values.daily,
        frequency.values.weekly,
        frequency.values.monthly,
        frequency.values.none,
      ],
      days: frequency.downgradeAfterDays,
    });
  }
  return groups.filter((g) => g.days > 0);
}

/**
 * Steady levels (hysteresis): a value moves up at once, but down only once the lower value has
 * been computed on every run for `downgradeAfterDays`; until then DX keeps the higher one. A
 * person whose status changes is never held (a suspension or a return shows at once), and a
 * value DX holds that is not one of the group's values is simply replaced. Pure.
 */
export function applyHolds(input: {
  desired: AttributeValues;
  /** What DX holds (or coder-dx last pushed) for the owned groups; null when nothing. */
  current: AttributeValues | null;
  holds: Readonly<Record<string, string>> | undefined;
  config: Config;
  now: Date;
}): {
  desired: AttributeValues;
  holds: Record<string, string>;
  held: NonNullable<Evidence["held"]>;
} {
  const { current, config, now } = input;
  const desired = { ...input.desired };
  const holds: Record<string, string> = {};
  const held: NonNullable<Evidence["held"]> = [];
  const statusGroup = config.groups.status.name;
  const statusChanged = (current?.[statusGroup] ?? null) !== desired[statusGroup];
  if (current === null || statusChanged) return { desired, holds, held };
  for (const group of steadyGroups(config)) {
    const was = current[group.name] ?? null;
    const computed = desired[group.name] ?? null;
    if (was === null || computed === null) continue;
    const rankWas = group.order.indexOf(was);
    const rankNow = group.order.indexOf(computed);
    if (rankWas < 0 || rankNow <= rankWas) continue; // unknown, the same, or up: at once
    const since = input.holds?.[group.name] ?? now.toISOString();
    const until = new Date(Date.parse(since) + group.days * DAY_MS);
    if (now.getTime() >= until.getTime()) continue; // held long enough: released
    desired[group.name] = was;
    holds[group.name] = since;
    held.push({ group: group.name, value: was, computed, until: until.toISOString() });
  }
  return { desired, holds, held };
}

/** Whether two hold records say the same. */
export function sameHolds(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>>,
): boolean {
  const left = a ?? {};
  const keys = new Set([...Object.keys(left), ...Object.keys(b)]);
  for (const key of keys) if (left[key] !== b[key]) return false;
  return true;
}
