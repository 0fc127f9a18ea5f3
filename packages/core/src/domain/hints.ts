import type { Notification, NotificationSettlement } from "../ports";
import type { MappedUsers } from "./mapping";
import type { NotificationKind } from "./notification";
import type { Plan, UserState } from "./plan";

/** The kinds a hook run acts on: the person's status in Coder may have changed. */
export const STATUS_KINDS: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  "user_created",
  "user_suspended",
  "user_activated",
  "user_deleted",
]);

/**
 * The people a batch of notifications may concern, by DX email, found in Coder's own record
 * (the listing read for the run) and in coder-dx's: the subject's account by id (or, from older
 * servers, by username), and anyone coder-dx tracked under that Coder id (an email that
 * changed, an account deleted). An email a notification carries is never taken on its word:
 * a subject neither record knows adds no one. Pure.
 */
export function hintScope(
  mapped: MappedUsers,
  hints: readonly Notification[],
  state: ReadonlyMap<string, UserState>,
): Set<string> {
  const emailById = new Map<string, string>();
  const emailByUsername = new Map<string, string>();
  for (const person of mapped.desired) {
    person.coderUserIds.forEach((id) => emailById.set(id, person.email));
    for (const username of person.usernames)
      emailByUsername.set(username.toLowerCase(), person.email);
  }
  // Accounts never written (invalid, excluded) are in the plan under their own email.
  for (const skipped of [...mapped.invalid, ...mapped.excluded]) {
    const email = skipped.email.trim().toLowerCase() || `(no email: ${skipped.username})`;
    emailById.set(skipped.coderUserId, email);
    emailByUsername.set(skipped.username.toLowerCase(), email);
  }
  const trackedById = new Map<string, string[]>();
  for (const s of state.values())
    if (s.coderUserId)
      trackedById.set(s.coderUserId, [...(trackedById.get(s.coderUserId) ?? []), s.email]);

  const scope = new Set<string>();
  for (const hint of hints) {
    if (!STATUS_KINDS.has(hint.kind)) continue;
    const { userId, username } = hint.subject;
    const now =
      (userId ? emailById.get(userId) : undefined) ??
      (username ? emailByUsername.get(username.toLowerCase()) : undefined);
    if (now) scope.add(now);
    for (const email of userId ? (trackedById.get(userId) ?? []) : []) scope.add(email);
  }
  return scope;
}

/** Whom a notification is about, as one occurrence: its copies share this key. */
function occurrenceKey(hint: Notification): string {
  const who = hint.subject.userId ?? `@${hint.subject.username?.toLowerCase()}`;
  const workspace = hint.details
    ? `|${hint.details.workspaceId ?? hint.details.workspace ?? ""}|${hint.details.templateVersionId ?? ""}`
    : "";
  return `${hint.kind}|${who}${workspace}`;
}

/**
 * What became of the notifications a hook run (or a full run, or a status pass) covered: the
 * first of each occurrence led to the run, its copies (the other admins', the personal one,
 * Coder's repeats under new ids) are `duplicate` of it. The note says what Coder's record
 * bore out for the person; `confirmed` holds when DX confirmed each person's write.
 */
export function settleHints(input: {
  hints: readonly Notification[];
  runId: string;
  plan: Plan | null;
  mapped: MappedUsers | null;
  state: ReadonlyMap<string, UserState>;
  confirmed: ReadonlyMap<string, string>;
  at: string;
  /** Why the run settled them, when it was not a run for them (a full run, a status pass). */
  coveredBy?: string;
  /** What PlatformX made of an occurrence, by its first notification (`eventsFromNotifications`). */
  eventNotes?: ReadonlyMap<string, string>;
}): NotificationSettlement[] {
  const { hints, runId, plan, confirmed, at } = input;
  const firstOf = new Map<string, string>();
  const entryByEmail = new Map((plan?.entries ?? []).map((e) => [e.email, e]));
  return hints.map((hint) => {
    const key = occurrenceKey(hint);
    const first = firstOf.get(key);
    if (first !== undefined)
      return {
        id: hint.id,
        outcome: "duplicate",
        runId,
        note: `a copy of notification ${first}: one occurrence, one re-read`,
        handledAt: at,
        confirmedAt: null,
      };
    firstOf.set(key, hint.id);
    const emails = input.mapped ? [...hintScope(input.mapped, [hint], input.state)] : [];
    const entries = emails.map((email) => entryByEmail.get(email)).filter((e) => e !== undefined);
    const written = entries.filter((e) => e.attributes !== null);
    const confirmedAt =
      written.map((e) => confirmed.get(e.email)).find((t) => t !== undefined) ?? null;
    const eventNote = input.eventNotes?.get(hint.id);
    if (!STATUS_KINDS.has(hint.kind))
      return {
        id: hint.id,
        outcome: "run",
        runId,
        note: eventNote ?? "not a status change: nothing to write",
        handledAt: at,
        confirmedAt: null,
      };
    const attributeNote = input.coveredBy
      ? input.coveredBy
      : entries.length === 0
        ? "Coder's record has no such user, and coder-dx tracked no one by that id: nothing to write"
        : written.length === 0
          ? `Coder's record bore out no change to write for ${entries.map((e) => e.email).join(", ")}`
          : `${written
              .map(
                (e) =>
                  `${e.email}: ${Object.entries(e.attributes?.after ?? {})
                    .map(([g, v]) => `${g} ${v ?? "∅"}`)
                    .join(", ")}`,
              )
              .join("; ")}${confirmedAt ? "" : " (not confirmed by DX)"}`;
    const note = eventNote ? `${attributeNote}; ${eventNote}` : attributeNote;
    return { id: hint.id, outcome: "run", runId, note, handledAt: at, confirmedAt };
  });
}
