import type { CoderUser } from "./domain/coder-user";
import type { DxObservedUser } from "./domain/dx-user";
import type { PlanAction, UserState } from "./domain/plan";
import type { ErrorInfo } from "./errors";

export type RunStatus = "running" | "succeeded" | "partial" | "failed" | "halted";
export type RunTrigger = "cli" | "api" | "schedule";

export interface RunCounts {
  users: number;
  unchanged: number;
  changed: number;
  applied: number;
  rejected: number;
  invalid: number;
  excluded: number;
  unmatched: number;
  drift: number;
}

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

export type ChangeKind = "attributes" | "properties";
export type ChangeOutcome =
  | "applied"
  | "rejected"
  | "unmatched"
  | "planned"
  | "invalid"
  | "pending"
  | "skipped";

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
}

export type NewChange = Omit<ChangeRow, "id">;

/** The receipt for one intent; `state` is what DX now confirms (applied) or refused (unmatched). */
export interface ChangeReceipt {
  changeId: string;
  at: string;
  outcome: ChangeOutcome;
  error: ErrorInfo | null;
  attempts: number;
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

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
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
  status: Exclude<RunStatus, "running">;
  finishedAt: string;
  error: ErrorInfo | null;
  counts: RunCounts;
  sourceCount: number | null;
}

/**
 * Everything core needs from storage. The SQLite store and the in-memory twin pass one
 * contract suite (`@coder-dx/core/testing`). Every method is synchronous: better-sqlite3
 * is, and a store call never waits on the network.
 */
export interface SyncStore {
  startRun(input: StartRun): Run;
  finishRun(id: string, result: FinishRun): Run;
  getRun(id: string): Run | null;
  listRuns(query: { limit: number; cursor?: string | undefined }): Page<Run>;
  /** Coder accounts listed by the last complete, unscoped, non-dry run. */
  lastSourceCount(): number | null;
  /** Marks runs left `running` by a holder that died as failed, and their pending rows as skipped. */
  closeAbandonedRuns(at: string, reason: string): Run[];

  loadUserStates(): Map<string, UserState>;
  getUserState(email: string): UserState | null;
  /** Records states DX already holds without a write (adopted values). */
  adoptUserStates(states: UserState[]): void;

  /** Inserts intents and outcomes known up front; returns their ids in order. */
  insertChanges(rows: NewChange[]): string[];
  /** Settles intents; each receipt and its state change land in one transaction. */
  settleChanges(receipts: ChangeReceipt[]): void;
  listChanges(query: ChangeQuery): Page<ChangeRow>;

  /** The one-run-at-a-time lease. `acquire` takes it when free, expired or held by a dead process. */
  acquireLease(holder: string, now: number, ttlMs: number): boolean;
  renewLease(holder: string, now: number, ttlMs: number): boolean;
  releaseLease(holder: string): void;
}

export interface CoderSource {
  listUsers(): Promise<CoderUser[]>;
  getMe(): Promise<CoderUser>;
  getUserActivity(start: Date, end: Date): Promise<Map<string, number>>;
}

export interface DxTarget {
  listUsers(): Promise<Map<string, DxObservedUser>>;
  listAttributeGroups(): Promise<Set<string>>;
  updateAttributes(
    email: string,
    attributes: Record<string, string | null>,
  ): Promise<{ attempts: number }>;
  updateProperties(
    email: string,
    properties: Record<string, string | null>,
  ): Promise<{ attempts: number }>;
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
