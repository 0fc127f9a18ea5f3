import type { Config } from "../config/schema";
import type { AttributeValues } from "./attributes";
import { type Evidence, valueOrders } from "./mapping";

/** Per email: group → when its lower value was first computed (ISO), while it stays lower. */
export type Holds = ReadonlyMap<string, Readonly<Record<string, string>>>;

export interface HoldUpdate {
  email: string;
  /** The person's holds after this run: empty when none remain. */
  holds: Record<string, string>;
}

const DAY_MS = 86_400_000;

/** The groups with steady levels: their values from highest to lowest and their delay. */
function steadyGroups(config: Config): { name: string; order: string[]; days: number }[] {
  const orders = valueOrders(config);
  const { usage, frequency } = config.groups;
  return [
    { name: usage.name, days: usage.downgradeAfterDays },
    ...(frequency ? [{ name: frequency.name, days: frequency.downgradeAfterDays }] : []),
  ]
    .filter((g) => g.days > 0)
    .map((g) => ({ ...g, order: orders[g.name] ?? [] }));
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
  // Most people hold nothing: they share the input and two empty results (100,000 copies
  // of each would show in a large run's memory).
  const none = { desired: input.desired, holds: NO_HOLDS, held: NOTHING_HELD };
  const groups = steadyGroups(config);
  const statusGroup = config.groups.status.name;
  if (groups.length === 0 || current === null) return none;
  if ((current[statusGroup] ?? null) !== input.desired[statusGroup]) return none;
  let result: ReturnType<typeof applyHolds> | null = null;
  for (const group of groups) {
    const was = current[group.name] ?? null;
    const computed = input.desired[group.name] ?? null;
    if (was === null || computed === null) continue;
    const rankWas = group.order.indexOf(was);
    const rankNow = group.order.indexOf(computed);
    if (rankWas < 0 || rankNow <= rankWas) continue; // unknown, the same, or up: at once
    const since = input.holds?.[group.name] ?? now.toISOString();
    const until = new Date(Date.parse(since) + group.days * DAY_MS);
    if (now.getTime() >= until.getTime()) continue; // held long enough: released
    result ??= { desired: { ...input.desired }, holds: {}, held: [] };
    result.desired[group.name] = was;
    result.holds[group.name] = since;
    result.held.push({ group: group.name, value: was, computed, until: until.toISOString() });
  }
  return result ?? none;
}

const NO_HOLDS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NOTHING_HELD = Object.freeze([]) as unknown as NonNullable<Evidence["held"]>;

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
