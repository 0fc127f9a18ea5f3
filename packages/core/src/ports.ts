import type { BudgetTerms, Membership } from "./domain/budget-members";
import type { CoderGroup, CoderTemplate, CoderUser } from "./domain/coder-user";
import type { HoldUpdate, Holds } from "./domain/holds";
import type { HeldValues } from "./domain/history";
import type { Evidence } from "./domain/mapping";
import type { DxAttributesAnswer, DxObservedUser, DxPropertiesAnswer } from "./domain/dx-user";
import type {
  NotificationKind,
  NotificationOutcome,
  NotificationSubject,
} from "./domain/notification";
import type { PlanAction, UserState } from "./domain/plan";
import type { EventOutcome, EventSource } from "./domain/platformx-events";
import type {
  ChangeKind,
  ChangeOutcome,
  DeliveryOutcome,
  FinalRunStatus,
  RunCounts,
  RunFilter,
  RunStatus,
  RunTrigger,
} from "./domain/run";
import type { ErrorInfo } from "./errors";
import type { Page } from "./domain/paging";

export type { Page } from "./domain/paging";

export interface Run {
  id: string;
  status: RunStatus;
  dryRun: boolean;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string | null;
  error: ErrorInfo | null;
  counts: RunCounts;
  /** Coder accounts listed (null until read); the base of the source-shrink brake. */
  sourceCount: number | null;
  /** Limited to some emails (`--email`): such runs never serve as a baseline. */
  scoped: boolean;
}

/** One audit row: a planned write (or a reason not to write) for one person. */
export interface ChangeRow {
  id: string;
  runId: string;
  at: string;
  email: string;
  coderUserId: string | null;
  kind: ChangeKind;
  action: PlanAction;
  /** What DX held (read-back) or, when DX did not list the user, what coder-dx last pushed. */
  before: Record<string, string | null> | null;
  /** What was (or would be) sent. */
  after: Record<string, string | null> | null;
  /** What DX's listing showed, or null when it did not list the user. */
  observed: Record<string, string | null> | null;
  outcome: ChangeOutcome;
  error: ErrorInfo | null;
  attempts: number;
  note: string | null;
  /** What decided the values (hours, active days and weeks, the window, holds). */
  evidence: Evidence | null;
}

export type NewChange = Omit<ChangeRow, "id" | "evidence"> & { evidence?: Evidence | null };

/** The receipt for one intent; `state` is what DX now confirms (applied) or refused (unmatched). */
export interface ChangeReceipt {
  changeId: string;
  at: string;
  outcome: ChangeOutcome;
  error: ErrorInfo | null;
  attempts: number;
  /** Replaces the row's note when set (how the outcome was established). */
  note?: string | null;
  state?:
    | {
        type: "confirmed";
        email: string;
        coderUserId: string | null;
        kind: ChangeKind;
        values: Record<string, string | null>;
      }
    | {
        type: "unmatched";
        email: string;
        coderUserId: string | null;
        attributes: Record<string, string | null>;
      };
}

export interface ChangeQuery {
  email?: string | undefined;
  runId?: string | undefined;
  outcome?: ChangeOutcome | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface StartRun {
  trigger: RunTrigger;
  dryRun: boolean;
  scoped: boolean;
  startedAt: string;
}

export interface FinishRun {
  status: FinalRunStatus;
  finishedAt: string;
  error: ErrorInfo | null;
  counts: RunCounts;
  sourceCount: number | null;
}

/** A notification sent for a run: to which origin, for which event, and how it went. */
export interface Delivery {
  id: string;
  runId: string;
  at: string;
  /** The webhook's origin (`https://hooks.slack.com`): its path may be a secret. */
  target: string;
  event: string;
  outcome: DeliveryOutcome;
  attempts: number;
  httpStatus: number | null;
  error: ErrorInfo | null;
}
export type NewDelivery = Omit<Delivery, "id">;

/** A notification from Coder, as the inbox keeps it (one row per `msg_id`). */
export interface Notification {
  id: string;
  msgId: string;
  receivedAt: string;
  name: string;
  templateId: string;
  kind: NotificationKind;
  subject: NotificationSubject;
  /** Workspace events' ids and names; null for the others. */
  details: Record<string, string> | null;
  outcome: NotificationOutcome;
  /** The run it led to (or, for a copy, the run its occurrence led to). */
  runId: string | null;
  /** Why: the reason it was ignored, whose copy it is, what the run found. */
  note: string | null;
  handledAt: string | null;
  /** When DX confirmed the write it led to, if it led to one. */
  confirmedAt: string | null;
}
export type NewNotification = Omit<Notification, "id" | "runId" | "handledAt" | "confirmedAt"> & {
  note: string | null;
};

/** What became of one notification, once handled. */
export interface NotificationSettlement {
  id: string;
  outcome: Exclude<NotificationOutcome, "waiting">;
  runId: string | null;
  note: string | null;
  handledAt: string;
  confirmedAt: string | null;
}

/** A PlatformX event in the outbox: recorded before it is sent, once per occurrence (`key`). */
export interface PlatformxEvent {
  id: string;
  /** The occurrence: a second record with the same key changes nothing. */
  key: string;
  /** The PlatformX event name (`coder.user.suspended`). */
  name: string;
  /** The subject's DX email; null when it could not be told (`invalid`). */
  email: string | null;
  /** Unix seconds, as DX takes it. */
  timestamp: string;
  metadata: Record<string, string>;
  source: EventSource;
  /** The Coder user the event is about, when known. */
  subjectUserId: string | null;
  notificationId: string | null;
  runId: string | null;
  outcome: EventOutcome;
  error: ErrorInfo | null;
  /** Sends begun (a send is counted before it leaves, so one cut short is known). */
  attempts: number;
  recordedAt: string;
  /** When the last send began, and by which process (a lease holder's name). */
  claimedAt: string | null;
  claimedBy: string | null;
  sentAt: string | null;
}
export type NewEvent = Omit<
  PlatformxEvent,
  "id" | "attempts" | "claimedAt" | "claimedBy" | "sentAt"
>;

export interface PeopleQuery {
  search?: string | undefined;
  group?: string | undefined;
  value?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface EventQuery {
  name?: string | undefined;
  email?: string | undefined;
  outcome?: EventOutcome | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** What `prune` removed. */
export interface Pruned {
  changes: number;
  runs: number;
  deliveries: number;
  /** Notifications handled before the cut (waiting ones are kept). */
  notifications: number;
  /** PlatformX events recorded before the cut (pending ones are kept). */
  events: number;
}

/**
 * Where a run's intents and receipts go while its writes are in flight. A store may keep this
 * work off the event loop (SQLite: a worker thread with a connection of its own), so that
 * answers from DX are read, and the next writes sent, while a transaction commits. Each call
 * resolves once what it carried is committed; calls commit in the order they were made.
 */
export interface ChangeJournal {
  /** Inserts intents and outcomes known up front; resolves with their ids, in order. */
  insertChanges(rows: NewChange[]): Promise<string[]>;
  /** Settles intents, as `SyncStore.settleChanges`. */
  settleChanges(receipts: ChangeReceipt[]): Promise<void>;
  /** Waits for every call made, then lets go of what the journal holds. Never rejects. */
  close(): Promise<void>;
}

/**
 * Everything core needs from the record. Three stores implement it (SQLite, Postgres, and the
 * in-memory twin in `@coder-dx/core/testing`) and pass one contract suite
 * (`describeSyncStoreContract`); the rules they share live in core (`domain/paging.ts`,
 * `domain/run.ts`'s run filters, `domain/lease.ts`, `domain/receipt.ts`) so no store decides
 * them alone. Every method is synchronous: a call holds the event loop for one statement
 * (better-sqlite3 on a local file; Postgres through a client in a worker thread, see
 * storage's `PgConnection`), and a run's hot writes go through `openJournal` off the loop.
 */
export interface SyncStore {
  startRun(input: StartRun): Run;
  finishRun(id: string, result: FinishRun): Run;
  getRun(id: string): Run | null;
  listRuns(query: { limit: number; cursor?: string | undefined }): Page<Run>;
  /**
   * The newest finished real (not dry) run, or the newest with `status`: what /metrics
   * reports across restarts. A dry run is a preview and says nothing about DX's data.
   */
  lastFinishedRun(status?: RunStatus): Run | null;
  /** Coder accounts listed by the last complete, unscoped, non-dry run. */
  lastSourceCount(): number | null;
  /**
   * Marks runs left `running` by a holder that died as failed with `error`. Their pending rows
   * stay pending: the next read-back settles them (`listPendingChanges`).
   */
  closeAbandonedRuns(at: string, error: ErrorInfo): Run[];
  /** Intents of finished runs whose DX call never got an answer recorded (oldest first). */
  listPendingChanges(exceptRunId: string): ChangeRow[];

  loadUserStates(): Map<string, UserState>;
  getUserState(email: string): UserState | null;
  /** Records the Coder username of people coder-dx tracks (those it has no state for: nothing). */
  rememberUsernames(people: readonly { email: string; username: string }[]): void;
  /**
   * The people coder-dx tracks, by email, filtered by part of an email or a username (any
   * case; `%` and `_` are letters) and by one group's value. The cursor is an offset.
   */
  listPeople(query: PeopleQuery): Page<UserState>;
  /** Records states DX already holds without a write (adopted values), and when. */
  adoptUserStates(states: UserState[]): void;

  /** Inserts intents and outcomes known up front; returns their ids in order. */
  insertChanges(rows: NewChange[]): string[];
  /** Settles intents; each receipt and its state change land in one transaction. */
  settleChanges(receipts: ChangeReceipt[]): void;
  /**
   * A journal for one run's writes, when this store keeps one off the event loop; without it,
   * the run calls `insertChanges` and `settleChanges` itself.
   */
  openJournal?(): ChangeJournal | null;
  listChanges(query: ChangeQuery): Page<ChangeRow>;

  /** Steady-level holds in force, by email. */
  loadHolds(): Holds;
  /** Replaces the holds of the people named (an empty record clears theirs). */
  saveHolds(updates: readonly HoldUpdate[]): void;
  /**
   * What people came to hold up to `until` (inclusive), oldest first: the attribute writes DX
   * confirmed, and the values adopted because DX already held them (the report's input);
   * with `email`, that person's alone.
   */
  attributeHistory(until: string, email?: string): Iterable<HeldValues>;
  /** The newest audit row for an email (any outcome), or null. */
  lastChange(email: string): ChangeRow | null;

  recordDelivery(delivery: NewDelivery): void;
  listDeliveries(runId: string): Delivery[];

  /**
   * Records a notification Coder sent, once per `msg_id`: Coder retries with the same id, so a
   * second copy changes nothing (`duplicate: true`). Throws when it cannot record it.
   */
  recordNotification(notification: NewNotification): { id: string; duplicate: boolean };
  /** Notifications waiting for a run, oldest first. */
  waitingNotifications(): Notification[];
  /** Records what became of notifications; only waiting ones change (a race lost is a no-op). */
  settleNotifications(settlements: readonly NotificationSettlement[]): void;
  /** Notifications, newest first. */
  listNotifications(query: { limit: number; cursor?: string | undefined }): Page<Notification>;

  /** Records PlatformX events, once per key; returns the ids of those new. */
  recordEvents(events: readonly NewEvent[]): string[];
  /** The newest event with one of `names` for a person that may have reached DX (pending, sent or unknown). */
  lastEventFor(subjectUserId: string, names: readonly string[]): PlatformxEvent | null;
  /** Pending events, oldest first. */
  pendingEvents(limit: number): PlatformxEvent[];
  /**
   * Counts a send as begun (before it leaves): false when the event is no longer pending or
   * another process counted this attempt first. A send cut short is then known (`attempts`).
   */
  claimEvent(id: string, attempts: number, at: string, by: string): boolean;
  /**
   * Records how a send ended; `pending` puts it back, claim cleared (DX said to wait: a 429,
   * so it never took it).
   */
  settleEvent(id: string, outcome: EventOutcome, error: ErrorInfo | null, at: string): void;
  /** Events, newest first. */
  listEvents(query: EventQuery): Page<PlatformxEvent>;
  /** How many events the outbox holds, by name and outcome (`/metrics`). */
  eventCounts(): { name: string; outcome: EventOutcome; count: number }[];

  /** Looks at the processes sharing the account's DX budget, by `lookAtMembers` (`SharedBudget`). */
  lookAtBudget(name: string, holder: string, now: number, terms: BudgetTerms): Membership;
  /**
   * `holder` leaves the budget at `now`: it sends nothing more, and stays counted (`left_at`)
   * until its last requests have left DX's windows. A holder not a member: nothing to do.
   */
  leaveBudget(name: string, holder: string, now: number): void;
  /** The newest run `filter` matches (core's run rules: `BASELINE_RUN`, …), or null. */
  newestRun(filter: RunFilter): Run | null;

  /**
   * Deletes audit rows, deliveries, handled notifications and finished runs from before
   * `before`. Never deletes a
   * pending intent (a later read-back settles it), the pushed state (`getUserState`), a run
   * that still has rows, or the run the source-count brake compares with.
   */
  prune(before: string): Pruned;

  /**
   * The one-run-at-a-time lease. `acquire` takes it when free, expired, or held by a holder
   * `isDead` says has died (core knows what a holder is; the store only keeps the row).
   */
  acquireLease(
    holder: string,
    now: number,
    ttlMs: number,
    isDead: (holder: string) => boolean,
  ): boolean;
  /** Extends the lease; false when this holder no longer has it. */
  renewLease(holder: string, now: number, ttlMs: number): boolean;
  releaseLease(holder: string): void;

  /** Throws when the store can no longer be trusted to record (its file deleted or replaced). */
  assertIntact(): void;
  close(): void;
}

export interface CallOptions {
  /** Aborts the request at once (its retries too). */
  signal?: AbortSignal | undefined;
  /**
   * Asked just before each attempt leaves, after every wait (the request budget, a back-off, a
   * Retry-After): a throw (a lost lease) keeps it, and every later attempt, from being sent.
   */
  beforeSend?: (() => void) | undefined;
}

export interface CoderSource {
  /** Every user, or with `search` those whose username or email contains it. */
  listUsers(options?: CallOptions & { search?: string }): Promise<CoderUser[]>;
  /** One user by id or username; null when Coder has none (deleted, or never was). */
  getUser(user: string, options?: CallOptions): Promise<CoderUser | null>;
  /** A workspace's creation time; null when Coder has no such workspace. */
  getWorkspace(id: string, options?: CallOptions): Promise<{ created_at: string } | null>;
  getMe(options?: CallOptions): Promise<CoderUser>;
  /** Active seconds per user over [start, end), in all templates or in those given. */
  getUserActivity(
    start: Date,
    end: Date,
    options?: CallOptions & { templateIds?: readonly string[] },
  ): Promise<Map<string, number>>;
  /** Every template the token can read (`from: template`). */
  listTemplates(options?: CallOptions): Promise<CoderTemplate[]>;
  /** Every group the token can read, with members (`from: group`; a Premium feature). */
  listGroups(options?: CallOptions): Promise<CoderGroup[]>;
}

export interface DxTarget {
  listUsers(options?: CallOptions): Promise<Map<string, DxObservedUser>>;
  listAttributeGroups(options?: CallOptions): Promise<Set<string>>;
  updateAttributes(
    email: string,
    attributes: Record<string, string | null>,
    options?: CallOptions,
  ): Promise<{ attempts: number; answer: DxAttributesAnswer }>;
  updateProperties(
    email: string,
    properties: Record<string, string | null>,
    options?: CallOptions,
  ): Promise<{ attempts: number; answer: DxPropertiesAnswer }>;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
export const systemClock: Clock = { now: () => new Date() };
