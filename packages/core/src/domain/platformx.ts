import type { Config } from "../config/schema";
import type { CoderUserStatus } from "./coder-user";
import type { NewEvent, Notification, PlatformxEvent } from "../ports";
import { compileExclusions, createIdentityResolver } from "./identity";
import type { MappedUsers } from "./mapping";
import type { NotificationKind } from "./notification";
import type { Plan, UserState } from "./plan";
import type { EventSource } from "./platformx-events";

/** DX's limit on an event's metadata (reference/dx/API.md §5.7), as serialised JSON. */
export const METADATA_LIMIT_BYTES = 1024;

/** Coder's record of an account, as far as an event's subject goes. */
type Account =
  | {
      email: string;
      username: string;
      createdAt: string | null;
      coderUserId: string;
      status: CoderUserStatus;
    }
  | { skipped: string; coderUserId: string };

/** Coder's accounts by id and by username (lower-cased), built once per run. */
export interface AccountIndex {
  byId: ReadonlyMap<string, Account>;
  byUsername: ReadonlyMap<string, Account>;
}

export function indexAccounts(mapped: MappedUsers): AccountIndex {
  const byId = new Map<string, Account>();
  const byUsername = new Map<string, Account>();
  for (const person of mapped.desired)
    person.coderUserIds.forEach((id, i) => {
      const account = {
        email: person.email,
        username: person.usernames[i] ?? "",
        createdAt: person.createdAt,
        coderUserId: id,
        status: person.status,
      };
      byId.set(id, account);
      byUsername.set((person.usernames[i] ?? "").toLowerCase(), account);
    });
  for (const [list, why] of [
    [mapped.excluded, "excluded"],
    [mapped.invalid, "invalid identity"],
  ] as const)
    for (const skipped of list) {
      const account = { skipped: `${why}: ${skipped.reason}`, coderUserId: skipped.coderUserId };
      byId.set(skipped.coderUserId, account);
      byUsername.set(skipped.username.toLowerCase(), account);
    }
  return { byId, byUsername };
}

/** What deriving events needs besides the notifications or the plan: Coder's and coder-dx's records. */
export interface EventContext {
  config: Config;
  /** The PlatformX event name for each kind followed. */
  names: ReadonlyMap<NotificationKind, string>;
  /** Coder's record, as the run read it: whom an id or a username is. Null: not read. */
  accounts: AccountIndex | null;
  state: ReadonlyMap<string, UserState>;
  /** Workspaces' `created_at` (GET /api/v2/workspaces/{id}), by id, where read. */
  workspaceCreatedAt: ReadonlyMap<string, string>;
  /** The newest status event that may have reached DX for a person (the store's). */
  lastEventFor(subjectUserId: string, names: readonly string[]): PlatformxEvent | null;
  runId: string;
  now: string;
}

const unixSeconds = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));

/**
 * Metadata within DX's 1 KB, small and useful: never the webhook, never a token. Long values are
 * cut (longest first) until the serialised object fits.
 */
export function fitMetadata(
  values: Record<string, string | null | undefined>,
): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value) metadata[key] = value;
  const size = () => Buffer.byteLength(JSON.stringify(metadata));
  while (size() > METADATA_LIMIT_BYTES) {
    const [key, value] = Object.entries(metadata).sort((a, b) => b[1].length - a[1].length)[0] as [
      string,
      string,
    ];
    const over = size() - METADATA_LIMIT_BYTES;
    const chars = [...value];
    // Cut by characters (a byte cut could split one), with room for the ellipsis.
    const keep = Math.max(0, chars.length - Math.max(1, Math.ceil(over / 4)) - 1);
    metadata[key] = `${chars.slice(0, keep).join("")}…`;
    if (keep === 0) delete metadata[key];
  }
  return metadata;
}

function createdAtOf(userId: string | null, accounts: AccountIndex | null): string | undefined {
  const account = userId ? accounts?.byId.get(userId) : undefined;
  return account && "createdAt" in account ? (account.createdAt ?? undefined) : undefined;
}

/** Who an event is about, as DX knows them, or why it cannot be sent. */
type Subject =
  | { ok: true; email: string; userId: string | null; username: string | null }
  | { ok: false; reason: string; userId: string | null; username: string | null };

/**
 * The subject of a notification, never its recipient: Coder's record first (the account by
 * id, else by username), through the same identity rules, exclusions and merges as attributes
 * (the token's owner and service accounts are excluded there);
 * for someone no longer in Coder, the email the notification carries (through the same rules),
 * else the email coder-dx last knew for that id, else an override for the username.
 */
export function resolveSubject(
  subject: Notification["subject"],
  ctx: Pick<EventContext, "config" | "accounts" | "state">,
): Subject {
  const { userId, username } = subject;
  const who = { userId, username };
  const account =
    (userId ? ctx.accounts?.byId.get(userId) : undefined) ??
    (username ? ctx.accounts?.byUsername.get(username.toLowerCase()) : undefined);
  if (account) {
    if ("skipped" in account) return { ok: false, reason: account.skipped, ...who };
    return {
      ok: true,
      email: account.email,
      userId: userId ?? account.coderUserId,
      username: username ?? account.username,
    };
  }
  // No longer in Coder (deleted), or read without a listing: what the notification and the
  // record say, through the same rules.
  const identities = ctx.config.identities;
  if (subject.email) {
    const excluded = compileExclusions(identities.exclude)(username ?? "", subject.email);
    if (excluded) return { ok: false, reason: `excluded: ${excluded}`, ...who };
    const resolved = createIdentityResolver(identities)(username ?? "", subject.email);
    if (resolved.ok) return { ok: true, email: resolved.email, ...who };
    return { ok: false, reason: `invalid identity: ${resolved.reason}`, ...who };
  }
  const known = userId ? [...ctx.state.values()].find((s) => s.coderUserId === userId) : undefined;
  if (known) return { ok: true, email: known.email, ...who };
  if (username) {
    const excluded = compileExclusions(identities.exclude)(username, "");
    if (excluded) return { ok: false, reason: `excluded: ${excluded}`, ...who };
    const resolved = createIdentityResolver(identities)(username, "");
    if (resolved.ok) return { ok: true, email: resolved.email, ...who };
  }
  return {
    ok: false,
    reason:
      "cannot tell whom it is about: Coder no longer has the user, the notification carries no email, and coder-dx never knew one for it",
    ...who,
  };
}

const STATUS_EVENT_KINDS: readonly NotificationKind[] = ["user_suspended", "user_activated"];

/** The key of a person's events: their Coder id, else their username. */
function personKey(subject: { userId: string | null; username: string | null }): string | null {
  return subject.userId ?? (subject.username ? `@${subject.username.toLowerCase()}` : null);
}

/**
 * One derivation's view of each person's last status event: the store's, then those derived
 * earlier in the same batch (a suspension and its activation in one batch are two events).
 */
class StatusChain {
  private readonly derived = new Map<string, { name: string; key: string }>();

  constructor(private readonly ctx: EventContext) {}

  /** The key of `name` for `who`, or null when PlatformX already has that state for them. */
  next(who: string | null, name: string, fallback: string): string | null {
    if (who === null) return `status:${fallback}`;
    const names = STATUS_EVENT_KINDS.map((k) => this.ctx.names.get(k)).filter(
      (n) => n !== undefined,
    );
    const stored = this.ctx.lastEventFor(who, names);
    const last = this.derived.get(who) ?? (stored ? { name: stored.name, key: stored.id } : null);
    if (last?.name === name) return null;
    // Keyed by what came before: two processes, or a replay, derive the same key.
    const key = `status:${who}:${last?.key ?? 0}`;
    this.derived.set(who, { name, key });
    return key;
  }
}

/** What one occurrence is: its kind, whom it is about, and (workspaces) which workspace. */
interface Occurrence {
  kind: NotificationKind;
  subject: Subject;
  /** When it happened: Coder's time where it has one, else when its first copy arrived. */
  at: string;
  source: EventSource;
  details: Record<string, string> | null;
  /** A key for an occurrence with no subject to key it by. */
  fallbackKey: string;
  notificationId: string | null;
}

/**
 * The event for one occurrence, or null when it is not new. Users' events are transitions of a
 * person: created and deleted once, a suspension only after something other than a suspension
 * (and an activation likewise), so copies, Coder's retries and a pass that saw it first change
 * nothing; workspaces' are keyed by the workspace (and, updated, the template version).
 */
function eventFor(occurrence: Occurrence, chain: StatusChain, ctx: EventContext): NewEvent | null {
  const { kind, subject, details, fallbackKey } = occurrence;
  const name = ctx.names.get(kind);
  if (!name) return null;
  const who = personKey(subject);
  let key: string | null;
  if (kind === "user_created" || kind === "user_deleted") key = `${name}:${who ?? fallbackKey}`;
  else if (kind === "user_suspended" || kind === "user_activated")
    key = chain.next(who, name, fallbackKey);
  else {
    const workspace =
      details?.workspaceId ??
      (details?.workspace ? `@${subject.username}/${details.workspace}` : fallbackKey);
    const version = details?.templateVersionId ?? details?.templateVersion ?? fallbackKey;
    key = kind === "workspace_created" ? `${name}:${workspace}` : `${name}:${workspace}:${version}`;
  }
  if (key === null) return null;
  const base = {
    key,
    name,
    timestamp: unixSeconds(occurrence.at),
    metadata: fitMetadata({
      source: occurrence.source,
      username: subject.username,
      workspace: details?.workspace,
      template: details?.template,
      template_version: details?.templateVersion,
    }),
    source: occurrence.source,
    subjectUserId: who,
    notificationId: occurrence.notificationId,
    runId: ctx.runId,
    recordedAt: ctx.now,
  };
  return subject.ok
    ? { ...base, email: subject.email, outcome: "pending", error: null }
    : {
        ...base,
        email: null,
        outcome: "invalid",
        error: { code: "identity_invalid", message: subject.reason },
      };
}

/** Coder's word on a status occurrence, where it has the account: null when it bears it out. */
function contradicted(kind: NotificationKind, subject: Subject, ctx: EventContext): string | null {
  if (subject.userId === null) return null;
  const account = ctx.accounts?.byId.get(subject.userId);
  if (!account || "skipped" in account) return null;
  if (kind === "user_suspended" && account.status !== "suspended")
    return `Coder now says ${account.status}: the suspension was undone before coder-dx saw it`;
  if (kind === "user_activated" && account.status === "suspended")
    return "Coder now says suspended: the activation was undone before coder-dx saw it";
  if (kind === "user_deleted") return "Coder still has the account";
  return null;
}

/** The events a batch of notifications stands for, and what became of each occurrence. */
export interface NotificationEvents {
  events: NewEvent[];
  /** By notification (the first copy of each occurrence): the event, or why none. */
  notes: Map<string, string>;
}

/**
 * The events a batch of notifications stands for: one per occurrence (its copies share the
 * subject and the kind, and arrive together), for the subject, with Coder's own time where it
 * has one (a user's or a workspace's `created_at`), else when the first copy arrived. A status
 * occurrence Coder's record contradicts, and that nothing later in the batch explains (a
 * suspension undone, a late copy), is not sent: the webhook is a hint, Coder's record the truth.
 * Pure but for `lastEventFor`.
 */
export function eventsFromNotifications(
  hints: readonly Notification[],
  ctx: EventContext,
): NotificationEvents {
  // Occurrences in arrival order; a copy joins its occurrence: any earlier one for a workspace,
  // the person's latest one for a status change (suspended, activated, suspended: three).
  const occurrences: { first: Notification; arrived: string }[] = [];
  const byKey = new Map<string, { first: Notification; arrived: string }>();
  for (const hint of [...hints].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))) {
    if (!ctx.names.has(hint.kind)) continue;
    const who = `${hint.subject.userId ?? `@${hint.subject.username?.toLowerCase()}`}`;
    const isStatus = STATUS_EVENT_KINDS.includes(hint.kind);
    const key = isStatus
      ? `status|${who}`
      : `${hint.kind}|${who}|${hint.details?.workspaceId ?? hint.details?.workspace ?? ""}|${hint.details?.templateVersionId ?? ""}`;
    const known = byKey.get(key);
    if (known && (!isStatus || known.first.kind === hint.kind)) continue;
    const occurrence = { first: hint, arrived: hint.receivedAt };
    occurrences.push(occurrence);
    byKey.set(key, occurrence);
  }
  const lastStatus = new Set(
    [...byKey.entries()].filter(([k]) => k.startsWith("status|")).map(([, o]) => o.first.id),
  );
  const chain = new StatusChain(ctx);
  const events: NewEvent[] = [];
  const notes = new Map<string, string>();
  for (const { first, arrived } of occurrences) {
    const name = ctx.names.get(first.kind) as string;
    const subject = resolveSubject(first.subject, ctx);
    const against = lastStatus.has(first.id) || first.kind === "user_deleted";
    const contradiction = against ? contradicted(first.kind, subject, ctx) : null;
    if (contradiction) {
      notes.set(first.id, `PlatformX: no ${name} event: ${contradiction}`);
      continue;
    }
    const created =
      first.kind === "user_created"
        ? createdAtOf(subject.userId, ctx.accounts)
        : first.kind === "workspace_created" && first.details?.workspaceId
          ? ctx.workspaceCreatedAt.get(first.details.workspaceId)
          : undefined;
    const event = eventFor(
      {
        kind: first.kind,
        subject,
        at: created ?? arrived,
        source: "webhook",
        details: first.details,
        fallbackKey: `msg:${first.msgId}`,
        notificationId: first.id,
      },
      chain,
      ctx,
    );
    if (event) events.push(event);
    notes.set(
      first.id,
      event === null
        ? `PlatformX: no ${name} event: PlatformX already has it for this person`
        : event.outcome === "invalid"
          ? `PlatformX: ${name} not sent: ${event.error?.message}`
          : `PlatformX: ${name} for ${event.email}`,
    );
  }
  return { events, notes };
}

/** The status kind a written change of the status group stands for, if any. */
function transitionOf(
  before: string | null,
  after: string | null,
  values: Config["groups"]["status"]["values"],
  isNew: boolean,
): NotificationKind | null {
  if (after === values.former) return before === null ? null : "user_deleted";
  if (after === values.suspended) return before === null ? null : "user_suspended";
  if (before === values.suspended) return "user_activated";
  if (before === null || before === values.former) return isNew ? "user_created" : null;
  return null;
}

/**
 * The transitions a full run or a status pass wrote that no notification may have announced
 * (SCIM, the dormancy job, a Coder without webhooks): a suspension, an activation, a departure,
 * and someone new, once each, with `source: pass`; one a notification already sent is not sent
 * again (the same key, or the same last state). A transition is between two observations:
 * someone with nothing pushed before is new only when Coder created them after the previous
 * pass (`previousPassAt`), so the first run after PlatformX is set up sends no backfill.
 */
export function eventsFromPlan(input: {
  plan: Plan;
  /** The people whose writes DX confirmed, by email. */
  confirmed: ReadonlyMap<string, string>;
  /** When Coder created each person written (the primary account), by email. */
  createdAt: ReadonlyMap<string, string>;
  previousPassAt: string | null;
  ctx: EventContext;
}): NewEvent[] {
  const { plan, confirmed, createdAt, previousPassAt, ctx } = input;
  const { name: group, values } = ctx.config.groups.status;
  const chain = new StatusChain(ctx);
  const events: NewEvent[] = [];
  for (const entry of plan.entries) {
    if (!entry.attributes || !confirmed.has(entry.email)) continue;
    const before = entry.attributes.before[group] ?? null;
    const after = entry.attributes.after[group] ?? null;
    if (before === after) continue;
    const created = createdAt.get(entry.email) ?? null;
    const isNew = created !== null && previousPassAt !== null && created > previousPassAt;
    const kind = transitionOf(before, after, values, isNew);
    if (!kind) continue;
    const event = eventFor(
      {
        kind,
        subject: {
          ok: true,
          email: entry.email,
          userId: entry.coderUserId,
          username: entry.username,
        },
        at: kind === "user_created" ? (created ?? ctx.now) : ctx.now,
        source: "pass",
        details: null,
        fallbackKey: `pass:${entry.email}`,
        notificationId: null,
      },
      chain,
      ctx,
    );
    if (event) events.push(event);
  }
  return events;
}
