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
  activeHours: number;
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

export interface MapInput {
  users: readonly CoderUser[];
  usageSeconds: ReadonlyMap<string, number>;
  tokenOwnerId: string | null;
  config: Config;
}

const STATUS_RANK: Record<CoderUserStatus, number> = { active: 0, dormant: 1, suspended: 2 };

/** The owned attribute groups, in write order. Only these are ever compared or written. */
export function ownedGroups(config: Config): string[] {
  return [
    config.groups.status.name,
    config.groups.usage.name,
    ...config.groups.extra.map((g) => g.name),
  ];
}

export function usageLevel(hours: number, usage: Config["groups"]["usage"]): string {
  if (hours >= usage.heavyHours) return usage.values.heavy;
  if (hours >= usage.moderateHours) return usage.values.moderate;
  if (hours > 0) return usage.values.light;
  return usage.values.none;
}

/** The attribute values of someone tracked earlier who is no longer in Coder (`deprovision: mark`). */
export function formerUserAttributes(config: Config): AttributeValues {
  const values: AttributeValues = {
    [config.groups.status.name]: config.groups.status.values.former,
    [config.groups.usage.name]: config.groups.usage.values.none,
  };
  for (const group of config.groups.extra) values[group.name] = null;
  return values;
}

function extraGroupValue(group: ExtraGroup, user: CoderUser): string | null {
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
  tokenOwnerId,
  config,
}: MapInput): MappedUsers {
  const resolveEmail = createIdentityResolver(config.identities);
  const exclusionReason = compileExclusions(config.identities.exclude);
  const invalid: SkippedUser[] = [];
  const excluded: SkippedUser[] = [];
  const byEmail = new Map<string, CoderUser[]>();

  for (const user of users) {
    const skipped = { coderUserId: user.id, username: user.username, email: user.email };
    const exclusion =
      user.id === tokenOwnerId
        ? "owns the Coder token coder-dx uses"
        : isServiceAccount(user)
          ? "service account"
          : exclusionReason(user.username, user.email);
    if (exclusion) {
      excluded.push({ ...skipped, reason: exclusion });
      continue;
    }
    const identity = resolveEmail(user.username, user.email);
    if (!identity.ok) {
      invalid.push({ ...skipped, reason: identity.reason });
      continue;
    }
    const accounts = byEmail.get(identity.email);
    if (accounts) accounts.push(user);
    else byEmail.set(identity.email, [user]);
  }

  const desired: DesiredUser[] = [];
  for (const [email, accounts] of byEmail) {
    accounts.sort(
      (a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.id.localeCompare(b.id),
    );
    const primary = accounts[0] as CoderUser;
    const seconds = accounts.reduce((sum, account) => sum + (usageSeconds.get(account.id) ?? 0), 0);
    const activeHours = seconds / 3600;
    const attributes: AttributeValues = {
      [config.groups.status.name]: config.groups.status.values[primary.status],
      [config.groups.usage.name]: usageLevel(activeHours, config.groups.usage),
    };
    for (const group of config.groups.extra)
      attributes[group.name] = extraGroupValue(group, primary);
    desired.push({
      email,
      coderUserIds: accounts.map((account) => account.id),
      usernames: accounts.map((account) => account.username),
      name: primary.name ?? "",
      status: primary.status,
      activeHours,
      attributes,
      properties: propertyValues(config, primary),
    });
  }
  desired.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  return { desired, invalid, excluded, accounts: users.length };
}
