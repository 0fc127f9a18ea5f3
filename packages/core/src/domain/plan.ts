import { createHash } from "node:crypto";
import type { Config } from "../config/schema";
import {
  type AttributeValues,
  isEmpty,
  type PropertyValues,
  pickValues,
  sameValues,
} from "./attributes";
import type { DxObservedUser } from "./dx-user";
import { applyHolds, type HoldUpdate, type Holds, sameHolds } from "./holds";
import { type Evidence, formerUserAttributes, type MappedUsers, ownedGroups } from "./mapping";

/** What coder-dx last saw DX confirm for one email. Changes only after DX accepted a write. */
export interface UserState {
  email: string;
  coderUserId: string | null;
  /** The Coder username the last real run read (`rememberUsernames`); null until one has. */
  username: string | null;
  attributes: AttributeValues;
  properties: PropertyValues;
  updatedAt: string;
  /** When DX last refused this email as unknown, with the attributes it was offered then. */
  unmatchedAt: string | null;
  unmatchedAttributes: AttributeValues | null;
}

export type PlanAction =
  | "unchanged"
  | "set"
  | "change"
  | "retire"
  | "clear"
  | "invalid"
  | "excluded"
  | "drift"
  | "unmatched";

export interface PlannedWrite {
  before: Record<string, string | null>;
  after: Record<string, string | null>;
}

export interface PlanEntry {
  email: string;
  coderUserId: string | null;
  username: string | null;
  action: PlanAction;
  /** DX holds a value in an owned group that coder-dx did not push. */
  drift: boolean;
  /** Why, in words: the reason for invalid/excluded, a merge, an email change, a hold. */
  note: string | null;
  /** What decided this person's usage values (Coder people only). */
  evidence?: Evidence | null;
  /** The owned attribute values this person should have (null for invalid/excluded). */
  desired: AttributeValues | null;
  /** The owned groups as DX's listing showed them, or null when it did not list the person. */
  observed: AttributeValues | null;
  attributes: PlannedWrite | null;
  properties: PlannedWrite | null;
}

export interface PlanCounts {
  /**
   * Everyone considered: each Coder account, and each person DX holds without one (former
   * users, non-users). `users = unchanged + changed + invalid + excluded + merged`.
   */
  users: number;
  /** Considered and left without a write (drift respected, nothing to change). */
  unchanged: number;
  changed: number;
  invalid: number;
  excluded: number;
  /** Coder accounts folded into another account's person (two accounts, one email). */
  merged: number;
  unmatched: number;
  drift: number;
  removals: number;
  /** People coder-dx tracks as current Coder users (the base of the removal percentage). */
  tracked: number;
}

export interface Plan {
  ownedGroups: string[];
  entries: PlanEntry[];
  counts: PlanCounts;
  /**
   * States DX already holds that coder-dx has not recorded: people DX lists with exactly the
   * values they should have. A real run records them without a write.
   */
  adopt: UserState[];
  /** Steady-level holds that changed for the people planned; a real run saves them. */
  holdUpdates: HoldUpdate[];
}

export interface PlanInput {
  mapped: MappedUsers;
  /** DX's read-back by lower-cased email; null when read-back is off. */
  observed: ReadonlyMap<string, DxObservedUser> | null;
  state: ReadonlyMap<string, UserState>;
  config: Config;
  /** Limit the plan to these DX emails (`sync --email`). */
  emails?: ReadonlySet<string> | null;
  now: Date;
  /** Steady-level holds in force (see `applyHolds`). */
  holds?: Holds;
  /**
   * `status`: only the status group is compared and written (with, for someone who left, the
   * former-user values that go with it), against what coder-dx last pushed: the status pass and
   * Coder's notifications. Usage, holds and properties stay the full run's.
   */
  only?: "status" | undefined;
}

/** An email DX refused as unknown is offered again after this long, or at once if its values change. */
export const UNMATCHED_RECHECK_MS = 24 * 60 * 60 * 1000;

export function hasWrite(entry: PlanEntry): boolean {
  return entry.attributes !== null || entry.properties !== null;
}

/**
 * Desired state vs. what DX holds: DX's read-back when it lists the user, else the last state
 * coder-dx pushed. Pure; the order of entries is by email.
 */
export function planSync({
  mapped,
  observed,
  state,
  config,
  emails,
  now,
  holds = new Map(),
  only,
}: PlanInput): Plan {
  const holdUpdates: HoldUpdate[] = [];
  const statusOnly = only === "status";
  const owned = ownedGroups(config);
  /** The groups compared and written for current Coder users. */
  const groups = statusOnly ? [config.groups.status.name] : owned;
  const inScope = (email: string) => !emails || emails.has(email);
  const entries: PlanEntry[] = [];

  // DX's listing keys groups lower-cased (DX matches names case-insensitively).
  const listedAs = groups.map((group) => [group, group.toLowerCase()] as const);
  const observedOwned = (email: string): AttributeValues | null => {
    const seen = observed?.get(email);
    if (!seen) return null;
    const values: AttributeValues = {};
    for (const [group, key] of listedAs) values[group] = seen.attributes[key] ?? null;
    return values;
  };

  const planAttributes = (
    seen: AttributeValues | null,
    desired: AttributeValues,
    last: UserState | undefined,
  ): {
    action: PlanAction;
    drift: boolean;
    write: PlannedWrite | null;
  } => {
    const pushed = last ? pickValues(last.attributes, groups) : null;
    const before = seen ?? pushed ?? pickValues({}, groups);
    const drift = seen !== null && pushed !== null && !isEmpty(pushed) && !sameValues(seen, pushed);
    if (sameValues(before, desired)) return { action: "unchanged", drift, write: null };
    if (drift && config.drift === "respect") return { action: "drift", drift, write: null };
    if (
      seen === null &&
      last?.unmatchedAt &&
      last.unmatchedAttributes &&
      sameValues(last.unmatchedAttributes, desired) &&
      now.getTime() - Date.parse(last.unmatchedAt) < UNMATCHED_RECHECK_MS
    ) {
      return { action: "unmatched", drift, write: null };
    }
    return {
      action: isEmpty(before) ? "set" : "change",
      drift,
      write: { before, after: desired },
    };
  };

  const planProperties = (
    desired: PropertyValues,
    last: UserState | undefined,
  ): PlannedWrite | null => {
    const keys = Object.keys(desired);
    if (keys.length === 0) return null;
    const before = pickValues(last?.properties ?? {}, keys);
    return sameValues(before, desired) ? null : { before, after: desired };
  };

  // Current Coder users.
  const adopt: UserState[] = [];
  const currentEmails = new Set<string>();
  const emailByCoderId = new Map<string, string>();
  let merged = 0;
  /** People left unchanged whose entries a status pass does not keep. */
  let quiet = 0;
  for (const person of mapped.desired) {
    currentEmails.add(person.email);
    for (const id of person.coderUserIds) emailByCoderId.set(id, person.email);
    if (!inScope(person.email)) continue;
    merged += person.coderUserIds.length - 1;
    const last = state.get(person.email);
    const listed = observedOwned(person.email);
    // A status is never held, and a status-only plan knows nothing of usage.
    const steady = statusOnly
      ? { desired: pickValues(person.attributes, groups), holds: {}, held: [] }
      : applyHolds({
          desired: person.attributes,
          current: listed ?? (last ? pickValues(last.attributes, groups) : null),
          holds: holds.get(person.email),
          config,
          now,
        });
    if (!statusOnly && !sameHolds(holds.get(person.email), steady.holds)) {
      holdUpdates.push({ email: person.email, holds: steady.holds });
    }
    const desired = steady.desired;
    const evidence: Evidence | null = statusOnly
      ? null
      : steady.held.length > 0
        ? { ...person.evidence, held: steady.held }
        : person.evidence;
    const { action, drift, write } = planAttributes(listed, desired, last);
    const properties = statusOnly ? null : planProperties(person.properties, last);
    const known =
      last !== undefined &&
      last.coderUserId === person.coderUserIds[0] &&
      sameValues(pickValues(last.attributes, groups), desired);
    // A status pass over everyone keeps no entry for the many it leaves as they are: at 100,000
    // people those entries are a tenth of its memory. They are counted.
    if (statusOnly && !emails && action === "unchanged") {
      quiet += 1;
      continue;
    }
    if (action === "unchanged" && listed !== null && !known) {
      adopt.push({
        email: person.email,
        coderUserId: person.coderUserIds[0] ?? null,
        username: person.usernames[0] ?? null,
        attributes: desired,
        properties: last?.properties ?? {},
        updatedAt: now.toISOString(),
        unmatchedAt: null,
        unmatchedAttributes: null,
      });
    }
    entries.push({
      email: person.email,
      coderUserId: person.coderUserIds[0] ?? null,
      username: person.usernames[0] ?? null,
      action: action === "unchanged" && properties ? "change" : action,
      drift,
      note:
        [
          person.usernames.length > 1
            ? `merged ${person.usernames.length} Coder accounts (${person.usernames.join(", ")})`
            : null,
          ...steady.held.map(
            (h) => `held at ${h.value} until ${h.until.slice(0, 10)} (computed ${h.computed})`,
          ),
        ]
          .filter((part) => part !== null)
          .join("; ") || null,
      evidence,
      desired,
      observed: listed,
      attributes: write,
      properties,
    });
  }

  // Accounts never written. Their emails also stop a "former user" retirement: they are still in Coder.
  const skippedEmails = new Set<string>();
  for (const [action, list] of [
    ["invalid", mapped.invalid],
    ["excluded", mapped.excluded],
  ] as const) {
    for (const account of list) {
      const email = account.email.trim().toLowerCase();
      if (email) skippedEmails.add(email);
      if (!inScope(email)) continue;
      entries.push({
        email: email || `(no email: ${account.username})`,
        coderUserId: account.coderUserId,
        username: account.username,
        action,
        drift: false,
        note: account.reason,
        desired: null,
        observed: null,
        attributes: null,
        properties: null,
      });
    }
  }

  // People tracked earlier whose email no Coder account produces any more.
  const former = formerUserAttributes(config);
  const formerStatus = former[config.groups.status.name];
  let tracked = 0;
  let removals = 0;
  for (const last of state.values()) {
    if (last.coderUserId === null || isEmpty(last.attributes)) continue;
    if (last.attributes[config.groups.status.name] !== formerStatus) tracked += 1;
    if (currentEmails.has(last.email) || skippedEmails.has(last.email) || !inScope(last.email))
      continue;
    if (config.deprovision === "ignore") continue;
    // Someone who left gets every owned group's former value, whichever groups the plan compares.
    const target = config.deprovision === "mark" ? former : pickValues({}, owned);
    const seen = observedOwned(last.email);
    const before = seen ?? pickValues(last.attributes, Object.keys(target));
    if (sameValues(before, target)) continue;
    const newEmail = emailByCoderId.get(last.coderUserId);
    removals += 1;
    entries.push({
      email: last.email,
      coderUserId: last.coderUserId,
      username: null,
      action: config.deprovision === "mark" ? "retire" : "clear",
      drift: false,
      note: newEmail ? `email changed to ${newEmail}` : "no longer in Coder",
      desired: target,
      observed: seen,
      attributes: { before, after: target },
      properties: null,
    });
  }

  // DX users with no Coder account, for the users vs. non-users comparison.
  if (config.nonUsers !== null && observed !== null) {
    const statusGroup = config.groups.status.name;
    const target: AttributeValues = { [statusGroup]: config.nonUsers };
    for (const seen of observed.values()) {
      if (currentEmails.has(seen.email) || skippedEmails.has(seen.email) || !inScope(seen.email))
        continue;
      const last = state.get(seen.email);
      if (last && last.coderUserId !== null) continue; // a former user: handled above
      const before = { [statusGroup]: seen.attributes[statusGroup.toLowerCase()] ?? null };
      const write = sameValues(before, target) ? null : { before, after: target };
      entries.push({
        email: seen.email,
        coderUserId: null,
        username: null,
        action: write ? (isEmpty(before) ? "set" : "change") : "unchanged",
        drift: false,
        note: "DX user with no Coder account",
        desired: target,
        observed: observedOwned(seen.email),
        attributes: write,
        properties: null,
      });
    }
  }

  entries.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  const count = (predicate: (entry: PlanEntry) => boolean) => entries.filter(predicate).length;
  const skipped = (e: PlanEntry) => e.action === "invalid" || e.action === "excluded";
  return {
    ownedGroups: groups,
    entries,
    adopt,
    holdUpdates,
    counts: {
      users: entries.length + merged + quiet,
      unchanged: count((e) => !hasWrite(e) && !skipped(e)) + quiet,
      changed: count(hasWrite),
      invalid: count((e) => e.action === "invalid"),
      excluded: count((e) => e.action === "excluded"),
      merged,
      unmatched: count((e) => e.action === "unmatched"),
      drift: count((e) => e.drift),
      removals,
      tracked,
    },
  };
}

/**
 * A fingerprint of what a plan would write. A saved plan is applied only while a fresh plan
 * has the same fingerprint, so nothing in Coder or DX that matters changed in between.
 */
export function planDigest(plan: Plan): string {
  const writes = plan.entries
    .filter(hasWrite)
    .map((e) => [
      e.email,
      e.action,
      e.attributes?.before ?? null,
      e.attributes?.after ?? null,
      e.properties?.after ?? null,
    ]);
  return createHash("sha256").update(JSON.stringify(writes)).digest("hex");
}
