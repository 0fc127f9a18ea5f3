import type { Config } from "../config/schema";
import type { DxObservedUser } from "../domain/dx-user";
import { guardPlan, type Halt } from "../domain/guard";
import { hintScope } from "../domain/hints";
import { type MappedUsers, mapCoderUsers } from "../domain/mapping";
import { type AccountIndex, indexAccounts } from "../domain/platformx";
import { hasWrite, type Plan, planSync, type UserState } from "../domain/plan";
import type { CoderSource, DxTarget, Notification, SyncStore } from "../ports";
import { readActiveDays, readPeople } from "./read-people";

export interface Progress {
  phase: "read" | "plan" | "apply" | "done";
  done: number;
  total: number;
}

export interface PlanOptions {
  config: Config;
  /** Limit the plan to these people (DX emails, normalised: `scopeOf`); null or absent: everyone. */
  scope?: ReadonlySet<string> | null | undefined;
  onProgress?: (progress: Progress) => void;
  /** Aborts the reads. */
  signal?: AbortSignal | undefined;
}

export interface PreparedPlan {
  plan: Plan;
  halts: Halt[];
  sourceCount: number;
  observed: ReadonlyMap<string, DxObservedUser> | null;
  state: ReadonlyMap<string, UserState>;
  /** Coder's accounts as mapped (a status plan keeps them: what notifications are settled by). */
  mapped?: MappedUsers;
  /** When Coder created each person the plan writes, by email (PlatformX's "created"). */
  createdAt: Map<string, string>;
  /** Coder's accounts by id and username, for PlatformX events' subjects; null when PlatformX is off. */
  accounts: AccountIndex | null;
}

/** When Coder created each person `plan` writes: kept past the mapping, which is not. */
function createdAtOf(mapped: MappedUsers, plan: Plan): Map<string, string> {
  const writing = new Set(plan.entries.filter(hasWrite).map((e) => e.email));
  const created = new Map<string, string>();
  for (const person of mapped.desired)
    if (person.createdAt && writing.has(person.email)) created.set(person.email, person.createdAt);
  return created;
}

/** `--email` values as the plan compares them (trimmed, lower-cased); null when none. */
export function scopeOf(emails: readonly string[] | undefined): Set<string> | null {
  if (!emails || emails.length === 0) return null;
  return new Set(emails.map((email) => email.trim().toLowerCase()));
}

/**
 * Read → map → plan → guard. Reads Coder, DX and the store, writes nothing; `plan`, `apply` and
 * every run share it.
 */
export async function preparePlan(
  deps: { coder: CoderSource; dx: DxTarget; store: SyncStore; clock?: { now(): Date } },
  options: PlanOptions,
): Promise<PreparedPlan> {
  const { config, signal } = options;
  const scope = options.scope ?? null;
  const now = (deps.clock ?? { now: () => new Date() }).now();
  options.onProgress?.({ phase: "read", done: 0, total: 2 });
  const readDx = async () =>
    config.dx.readBack
      ? Promise.all([deps.dx.listUsers({ signal }), deps.dx.listAttributeGroups({ signal })])
      : ([null, null] as const);
  // Coder's raw user objects live only inside readPeople: at 100,000 users they are the
  // biggest thing a run holds, and planning needs only the mapped people.
  // The days first, on their own: each day's report is large and brief, and beside the user
  // listing and DX's read-back it would raise the read phase's memory peak.
  const daily = await readActiveDays(deps.coder, config, now, signal);
  // DX's listing is asked for first: its pages are many and small, and go at `dx.concurrency`
  // while Coder prepares its few large ones.
  const [[observed, listedGroups], mapped] = await Promise.all([
    readDx(),
    readPeople(deps.coder, config, now, signal, daily),
  ]);
  // Loaded after the reads, not beside them: the read phase is the run's memory peak.
  const state = deps.store.loadUserStates();
  options.onProgress?.({ phase: "plan", done: 0, total: mapped.accounts });
  const holds = deps.store.loadHolds();
  const plan = planSync({ mapped, observed, state, config, emails: scope, now, holds });
  // DX hides privileged groups from organisation tokens in attributeGroups.list, but
  // users.list shows them on the people who hold them: such a group exists.
  let dxGroups = listedGroups;
  if (dxGroups && observed) {
    dxGroups = new Set(dxGroups);
    for (const user of observed.values()) for (const group in user.attributes) dxGroups.add(group);
  }
  const halts = guardPlan({
    plan,
    config,
    sourceCount: mapped.accounts,
    // A scoped run touches a handful of people: the shrink brake compares whole listings only.
    lastSourceCount: scope !== null ? null : deps.store.lastSourceCount(),
    dxGroups,
  });
  return {
    plan,
    halts,
    sourceCount: mapped.accounts,
    observed,
    state,
    createdAt: createdAtOf(mapped, plan),
    accounts: config.platformx.token === null ? null : indexAccounts(mapped),
  };
}

/**
 * Read → plan → guard for status only (the status pass, and a hook run for the people its
 * notifications name): Coder's whole listing and the token owner, no usage, and no DX listing:
 * the plan is against what coder-dx last pushed, so an unchanged organisation costs DX nothing.
 * A broken or shrunken listing halts it as it halts a full run; a hook run, scoped to a few
 * people, is never compared with the last run's listing (as `sync --email` is not).
 */
export async function prepareStatusPlan(
  deps: { coder: CoderSource; store: SyncStore; clock?: { now(): Date } },
  options: Omit<PlanOptions, "scope">,
  hints: readonly Notification[] | null,
): Promise<PreparedPlan> {
  const { config, signal } = options;
  const now = (deps.clock ?? { now: () => new Date() }).now();
  options.onProgress?.({ phase: "read", done: 0, total: 1 });
  const mapped = await readStatuses(deps.coder, config, signal);
  // Loaded after the read: Coder's raw listing is garbage by now (the read phase's peak).
  const state = deps.store.loadUserStates();
  options.onProgress?.({ phase: "plan", done: 0, total: mapped.accounts });
  const scope = hints === null ? null : hintScope(mapped, hints, state);
  const plan = planSync({
    mapped,
    observed: null,
    state,
    config,
    emails: scope,
    now,
    only: "status",
  });
  const halts = guardPlan({
    plan,
    config,
    sourceCount: mapped.accounts,
    lastSourceCount: scope !== null ? null : deps.store.lastSourceCount(),
    dxGroups: null,
  });
  return {
    plan,
    halts,
    sourceCount: mapped.accounts,
    observed: null,
    state,
    mapped,
    createdAt: createdAtOf(mapped, plan),
    accounts: config.platformx.token === null ? null : indexAccounts(mapped),
  };
}

/**
 * Coder's whole listing and the token owner, mapped. Its own function: the raw user objects
 * (at 100,000 people the largest thing a pass holds) are garbage once it returns.
 */
async function readStatuses(
  coder: CoderSource,
  config: Config,
  signal: AbortSignal | undefined,
): Promise<MappedUsers> {
  const [users, me] = await Promise.all([coder.listUsers({ signal }), coder.getMe({ signal })]);
  return mapCoderUsers({ users, usageSeconds: new Map(), tokenOwnerId: me.id, config });
}
