import type { Config, ExtraGroup } from "../config/schema";
import type { AttributeValues, PropertyValues } from "./attributes";
import { type CoderUser, type CoderUserStatus, isServiceAccount } from "./coder-user";
import { compileExclusions, createIdentityResolver } from "./identity";

/** The DX state one person should have, possibly merged from several Coder accounts. */
export interface DesiredUser {
  email: string;
  /** Primary (best-status) account first. */
  coderUserIds: string[];
  usernames: string[];
  name: string;
  status: CoderUserStatus;
  /** When Coder created the primary account (null from servers that omit it). */
  createdAt: string | null;
  activeHours: number;
  /** What decided the usage values: hours, active days and weeks, the window. */
  evidence: Evidence;
  attributes: AttributeValues;
  properties: PropertyValues;
}

/** A Coder account that is never written, with the reason. */
export interface SkippedUser {
  coderUserId: string;
  username: string;
  email: string;
  reason: string;
}

export interface MappedUsers {
  desired: DesiredUser[];
  invalid: SkippedUser[];
  excluded: SkippedUser[];
  /** Every Coder account the listing held (mapped or not). */
  accounts: number;
}

/** The usage window, in whole UTC days. */
export interface UsageWindow {
  start: string;
  end: string;
  days: number;
}

/**
 * The days each Coder user was active, as bits: day d of the window (0 = its first) is bit
 * d % 30 of word ⌊d / 30⌋. A word per 30 days keeps 100,000 people in a few megabytes.
 */
export type ActiveDays = ReadonlyMap<string, readonly number[]>;

const BITS = 30;

/** Marks `day` active in a person's words. */
export function markActiveDay(words: number[], day: number): void {
  const word = Math.floor(day / BITS);
  while (words.length <= word) words.push(0);
  words[word] = (words[word] ?? 0) | (1 << (day % BITS));
}

/** Why a person's usage values are what they are; recorded with every attribute write. */
export interface Evidence {
  hours: number;
  /** Null when per-day activity was not read (no frequency group, levels by hours). */
  activeDays: number | null;
  activeWeeks: number | null;
  window: UsageWindow | null;
  /** Lower values not written yet (steady levels): what was computed, and until when held. */
  held?: { group: string; value: string; computed: string; until: string }[];
  /** The templates the person spent the most hours in (`from: template`), most first. */
  templates?: { template: string; hours: number }[];
}

/** Hours in one template: its name, the value it stands for (display name, else name). */
export interface TemplateHours {
  name: string;
  value: string;
  seconds: number;
}

/** What extra groups with a segment source are computed from (`readSegments`); null: not read. */
export interface Segments {
  /** Each user's top templates by hours in the usage window, most first, by user id. */
  templates: ReadonlyMap<string, readonly TemplateHours[]> | null;
  /** Each user's Coder groups by name (Everyone never), by user id. */
  groups: ReadonlyMap<string, readonly string[]> | null;
}

export interface MapInput {
  users: readonly CoderUser[];
  /** Templates and groups, for the extra groups that come from them. */
  segments?: Segments | null;
  usageSeconds: ReadonlyMap<string, number>;
  /** Active days, read when a frequency group or day-based levels need them. */
  daily?: ActiveDays | null;
  window?: UsageWindow | null;
  tokenOwnerId: string | null;
  config: Config;
}

const STATUS_RANK: Record<CoderUserStatus, number> = { active: 0, dormant: 1, suspended: 2 };

/** The owned attribute groups, in write order. Only these are ever compared or written. */
export function ownedGroups(config: Config): string[] {
  return [
    config.groups.status.name,
    config.groups.usage.name,
    ...(config.groups.frequency ? [config.groups.frequency.name] : []),
    ...config.groups.extra.map((g) => g.name),
  ];
}

/** Each ordered group's values from highest to lowest: what "up" and "down" mean. */
export function valueOrders(config: Config): Record<string, string[]> {
  const { usage, frequency } = config.groups;
  const orders: Record<string, string[]> = {
    [usage.name]: [
      usage.values.heavy,
      usage.values.moderate,
      usage.values.light,
      usage.values.none,
    ],
  };
  if (frequency) {
    orders[frequency.name] = [
      frequency.values.daily,
      frequency.values.weekly,
      frequency.values.monthly,
      frequency.values.none,
    ];
  }
  return orders;
}

/**
 * Every owned group's values in the group's own order, for people to read (tables, charts,
 * the report): status as Coder's lifecycle (Active, Dormant, Suspended, Former user, then the
 * non-users' value), levels highest first, extra groups in their map's order then the default.
 */
export function displayOrders(config: Config): Record<string, string[]> {
  const { status, extra } = config.groups;
  const orders: Record<string, string[]> = {
    [status.name]: [
      status.values.active,
      status.values.dormant,
      status.values.suspended,
      status.values.former,
      ...(config.nonUsers ? [config.nonUsers] : []),
    ],
    ...valueOrders(config),
  };
  for (const group of extra)
    orders[group.name] =
      group.from === "aiSeat"
        ? [group.map.Yes ?? "Yes", group.map.No ?? "No"]
        : [
            ...new Set([
              ...Object.values(group.map),
              ...(group.from === "template" || group.from === "group" ? [group.none] : []),
              ...(group.default ? [group.default] : []),
            ]),
          ];
  return orders;
}

/**
 * `values` in `order` (values it does not name after, alphabetically): how every table and
 * chart lists a group's values.
 */
export function inOrder(values: Iterable<string>, order: readonly string[] = []): string[] {
  const rank = (value: string) => {
    const i = order.indexOf(value);
    return i < 0 ? order.length : i;
  };
  return [...new Set(values)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Whether the configured groups need activity per day (28 insights reads instead of one). */
export function needsDailyActivity(config: Config): boolean {
  return config.groups.frequency !== null || config.groups.usage.measure === "activeDays";
}

export function usageLevel(
  activity: { hours: number; activeDays: number | null },
  usage: Config["groups"]["usage"],
): string {
  if (usage.measure === "activeDays") {
    const days = activity.activeDays ?? 0;
    if (days >= usage.heavyDays) return usage.values.heavy;
    if (days >= usage.moderateDays) return usage.values.moderate;
    return days > 0 ? usage.values.light : usage.values.none;
  }
  const { hours } = activity;
  if (hours >= usage.heavyHours) return usage.values.heavy;
  if (hours >= usage.moderateHours) return usage.values.moderate;
  if (hours > 0) return usage.values.light;
  return usage.values.none;
}

export function usageFrequency(
  activity: { activeDays: number; activeWeeks: number },
  frequency: NonNullable<Config["groups"]["frequency"]>,
): string {
  if (activity.activeDays >= frequency.dailyDays) return frequency.values.daily;
  if (activity.activeWeeks >= frequency.weeklyWeeks) return frequency.values.weekly;
  return activity.activeDays > 0 ? frequency.values.monthly : frequency.values.none;
}

/** Active days, and active weeks (the window cut into 7-day blocks from its first day). */
export function activeDaysAndWeeks(perDay: readonly number[]): {
  activeDays: number;
  activeWeeks: number;
} {
  let activeDays = 0;
  const weeks = new Set<number>();
  perDay.forEach((seconds, day) => {
    if (seconds > 0) {
      activeDays += 1;
      weeks.add(Math.floor(day / 7));
    }
  });
  return { activeDays, activeWeeks: weeks.size };
}

/** The attribute values of someone tracked earlier who is no longer in Coder (`deprovision: mark`). */
export function formerUserAttributes(config: Config): AttributeValues {
  const values: AttributeValues = {
    [config.groups.status.name]: config.groups.status.values.former,
    [config.groups.usage.name]: config.groups.usage.values.none,
  };
  if (config.groups.frequency)
    values[config.groups.frequency.name] = config.groups.frequency.values.none;
  for (const group of config.groups.extra) values[group.name] = null;
  return values;
}

/** One person's days (1: active, 0: not): a day any of their accounts was active. */
function unionDays(accounts: readonly CoderUser[], daily: ActiveDays, length: number): number[] {
  const union: number[] = [];
  for (const account of accounts) {
    (daily.get(account.id) ?? []).forEach((bits, i) => {
      union[i] = (union[i] ?? 0) | bits;
    });
  }
  return Array.from(
    { length },
    (_, day) => ((union[Math.floor(day / BITS)] ?? 0) >> (day % BITS)) & 1,
  );
}

/** A person's top templates over all their accounts, most hours first (ties: name). */
function personTemplates(
  accounts: readonly CoderUser[],
  segments: Segments | null,
): TemplateHours[] {
  const sum = new Map<string, TemplateHours>();
  for (const account of accounts)
    for (const t of segments?.templates?.get(account.id) ?? []) {
      const known = sum.get(t.name);
      sum.set(t.name, { ...t, seconds: (known?.seconds ?? 0) + t.seconds });
    }
  return [...sum.values()].sort(
    (a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** The value of an extra group for one person (their accounts, primary first). */
function extraGroupValue(
  group: ExtraGroup,
  accounts: readonly CoderUser[],
  segments: Segments | null,
  templates: readonly TemplateHours[],
): string | null {
  const user = accounts[0] as CoderUser;
  switch (group.from) {
    case "template": {
      const top = templates[0];
      if (!top) return group.none;
      return group.map[top.name] ?? group.map[top.value] ?? top.value;
    }
    case "group": {
      const memberships = new Set(
        accounts.flatMap((a) => segments?.groups?.get(a.id) ?? []).map((g) => g.toLowerCase()),
      );
      // The map's order is the priority: the first group listed that the person is in.
      const first = Object.keys(group.map).find((name) => memberships.has(name.toLowerCase()));
      return first === undefined ? group.none : (group.map[first] as string);
    }
    case "aiSeat": {
      if (user.has_ai_seat === undefined) return null;
      const seat = user.has_ai_seat ? "Yes" : "No";
      return group.map[seat] ?? seat;
    }
    default:
      return fieldValue(group, user);
  }
}

/** An extra group read from one field of the primary account. */
function fieldValue(group: ExtraGroup, user: CoderUser): string | null {
  const source =
    group.from === "loginType"
      ? user.login_type
      : group.from === "siteRole"
        ? (user.roles[0]?.name ?? "member")
        : user.organization_ids[0];
  if (source === undefined || source === "") return group.default ?? null;
  return group.map[source] ?? (group.default !== undefined ? group.default : source);
}

function propertyValues(config: Config, user: CoderUser): PropertyValues {
  const values: PropertyValues = {};
  for (const mapping of config.properties) {
    if (mapping.when.loginType !== undefined && mapping.when.loginType !== user.login_type)
      continue;
    values[mapping.name] =
      mapping.from === "username" ? user.username : (user.created_at?.slice(0, 10) ?? null);
  }
  return values;
}

/**
 * Maps Coder accounts to the DX state each person should have. Pure: the same input always
 * gives the same output, in email order, so plans are stable and diffable.
 */
export function mapCoderUsers({
  users,
  usageSeconds,
  daily = null,
  window = null,
  tokenOwnerId,
  config,
  segments = null,
}: MapInput): MappedUsers {
  const resolveEmail = createIdentityResolver(config.identities);
  const exclusionReason = compileExclusions(config.identities.exclude);
  const invalid: SkippedUser[] = [];
  const excluded: SkippedUser[] = [];
  const byEmail = new Map<string, CoderUser[]>();

  for (const user of users) {
    const skipped = () => ({ coderUserId: user.id, username: user.username, email: user.email });
    const exclusion =
      user.id === tokenOwnerId
        ? "owns the Coder token coder-dx uses"
        : isServiceAccount(user)
          ? "service account"
          : exclusionReason(user.username, user.email);
    if (exclusion) {
      excluded.push({ ...skipped(), reason: exclusion });
      continue;
    }
    const identity = resolveEmail(user.username, user.email);
    if (!identity.ok) {
      invalid.push({ ...skipped(), reason: identity.reason });
      continue;
    }
    const accounts = byEmail.get(identity.email);
    if (accounts) accounts.push(user);
    else byEmail.set(identity.email, [user]);
  }

  const desired: DesiredUser[] = [];
  for (const [email, accounts] of byEmail) {
    if (accounts.length > 1)
      accounts.sort(
        (a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.id.localeCompare(b.id),
      );
    const primary = accounts[0] as CoderUser;
    const seconds = accounts.reduce((sum, account) => sum + (usageSeconds.get(account.id) ?? 0), 0);
    const activeHours = seconds / 3600;
    const days = daily
      ? activeDaysAndWeeks(unionDays(accounts, daily, window?.days ?? config.coder.usageWindowDays))
      : null;
    const attributes: AttributeValues = {
      [config.groups.status.name]: config.groups.status.values[primary.status],
      [config.groups.usage.name]: usageLevel(
        { hours: activeHours, activeDays: days?.activeDays ?? null },
        config.groups.usage,
      ),
    };
    if (config.groups.frequency) {
      attributes[config.groups.frequency.name] = usageFrequency(
        days ?? { activeDays: 0, activeWeeks: 0 },
        config.groups.frequency,
      );
    }
    const templates = segments?.templates ? personTemplates(accounts, segments) : [];
    for (const group of config.groups.extra)
      attributes[group.name] = extraGroupValue(group, accounts, segments, templates);
    desired.push({
      email,
      coderUserIds: accounts.map((account) => account.id),
      usernames: accounts.map((account) => account.username),
      name: primary.name ?? "",
      status: primary.status,
      createdAt: primary.created_at ?? null,
      activeHours,
      evidence: {
        hours: Math.round(activeHours * 10) / 10,
        activeDays: days?.activeDays ?? null,
        activeWeeks: days?.activeWeeks ?? null,
        window: window ?? null,
        ...(segments?.templates
          ? {
              templates: templates.slice(0, 3).map((t) => ({
                template: t.value,
                hours: Math.round((t.seconds / 3600) * 10) / 10,
              })),
            }
          : {}),
      },
      attributes,
      properties: propertyValues(config, primary),
    });
  }
  desired.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  return { desired, invalid, excluded, accounts: users.length };
}
