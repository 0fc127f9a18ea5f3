import type { SyncStore } from "../ports";

/** How many people hold each value of each owned group: DX's confirmed writes and adopted values. */
export interface CohortCounts {
  at: string;
  /** group → value → people */
  groups: Record<string, Record<string, number>>;
}

/** Who moved between two dates, per group: a from→to matrix and its summary. */
export interface CohortMovement {
  from: string;
  to: string;
  groups: Record<
    string,
    {
      /** "(none)" stands for no value: a person who joined (from) or left (to). */
      matrix: Record<string, Record<string, number>>;
      up: number;
      down: number;
      joined: number;
      left: number;
      same: number;
    }
  >;
}

export const NO_VALUE = "(none)";

type Holdings = Map<string, Record<string, string | null>>;

/**
 * Everyone's owned values at `until`, folded from their attribute history (oldest first),
 * with a snapshot at `snapshotAt` taken on the way: one pass (the movement report).
 */
function fold(
  store: Pick<SyncStore, "attributeHistory">,
  until: string,
  snapshotAt?: string,
): { final: Holdings; snapshot: Holdings } {
  const final: Holdings = new Map();
  let snapshot: Holdings | null = null;
  for (const row of store.attributeHistory(until)) {
    if (snapshotAt !== undefined && snapshot === null && row.at > snapshotAt) {
      snapshot = new Map([...final].map(([email, values]) => [email, { ...values }]));
    }
    final.set(row.email, { ...final.get(row.email), ...row.after });
  }
  return { final, snapshot: snapshot ?? new Map([...final].map(([e, v]) => [e, { ...v }])) };
}

export function cohortCounts(store: Pick<SyncStore, "attributeHistory">, at: string): CohortCounts {
  return countsOn(cohortSeries(store, [at]), 0);
}

/** The cohort on one of a series' dates, values nobody holds left out. */
export function countsOn(series: CohortSeries, index: number): CohortCounts {
  const groups: CohortCounts["groups"] = {};
  for (const [group, values] of Object.entries(series.groups)) {
    for (const [value, line] of Object.entries(values)) {
      const count = line[index] ?? 0;
      if (count > 0) (groups[group] ??= {})[value] = count;
    }
  }
  return { at: series.dates[index] ?? "", groups };
}

export function cohortMovement(
  store: Pick<SyncStore, "attributeHistory">,
  range: { from: string; to: string },
  orders: Record<string, string[]> = {},
): CohortMovement {
  const { final: after, snapshot: before } = fold(store, range.to, range.from);
  const groups: CohortMovement["groups"] = {};
  const emails = new Set([...before.keys(), ...after.keys()]);
  const names = new Set([...before.values(), ...after.values()].flatMap((v) => Object.keys(v)));
  for (const group of names) {
    const entry = {
      matrix: {} as Record<string, Record<string, number>>,
      up: 0,
      down: 0,
      joined: 0,
      left: 0,
      same: 0,
    };
    const order = orders[group];
    for (const email of emails) {
      const was = before.get(email)?.[group] ?? null;
      const now = after.get(email)?.[group] ?? null;
      if (was === null && now === null) continue;
      const row = (entry.matrix[was ?? NO_VALUE] ??= {});
      row[now ?? NO_VALUE] = (row[now ?? NO_VALUE] ?? 0) + 1;
      if (was === null) entry.joined += 1;
      else if (now === null) entry.left += 1;
      else if (was === now) entry.same += 1;
      else if (order && order.indexOf(now) >= 0 && order.indexOf(was) >= 0) {
        if (order.indexOf(now) < order.indexOf(was)) entry.up += 1;
        else entry.down += 1;
      }
    }
    groups[group] = entry;
  }
  return { from: range.from, to: range.to, groups };
}

/** The cohort on each of `dates` (ascending): counts per group and value, in one pass. */
export interface CohortSeries {
  dates: string[];
  /** group → value → count on each date (same order as `dates`). */
  groups: Record<string, Record<string, number[]>>;
}

export function cohortSeries(
  store: Pick<SyncStore, "attributeHistory">,
  dates: readonly string[],
): CohortSeries {
  const last = dates.at(-1);
  const groups: CohortSeries["groups"] = {};
  if (last === undefined) return { dates: [], groups };
  const held: Holdings = new Map();
  const counts = new Map<string, Map<string, number>>();
  const bump = (group: string, value: string | null | undefined, by: number) => {
    if (value === null || value === undefined) return;
    let values = counts.get(group);
    if (!values) counts.set(group, (values = new Map()));
    values.set(value, (values.get(value) ?? 0) + by);
  };
  const snapshot = (index: number) => {
    for (const [group, values] of counts) {
      const series = (groups[group] ??= {});
      for (const [value, count] of values) {
        const line = (series[value] ??= new Array<number>(dates.length).fill(0));
        line[index] = count;
      }
    }
  };
  let next = 0;
  for (const step of store.attributeHistory(last)) {
    while (next < dates.length && step.at > (dates[next] as string)) snapshot(next++);
    let person = held.get(step.email);
    if (!person) held.set(step.email, (person = {}));
    for (const group in step.after) {
      const value = step.after[group];
      if (person[group] === value) continue;
      bump(group, person[group], -1);
      bump(group, value, +1);
      person[group] = value ?? null;
    }
  }
  while (next < dates.length) snapshot(next++);
  return { dates: [...dates], groups };
}
