import { hostname } from "node:os";
import { readPeople } from "./read-people";
import type { Config } from "../config/schema";
import { sameValues } from "../domain/attributes";
import type { DxObservedUser } from "../domain/dx-user";
import { guardPlan, type Halt } from "../domain/guard";
import {
  hasWrite,
  type Plan,
  type PlanEntry,
  planDigest,
  planSync,
  type UserState,
} from "../domain/plan";
import { CoderDxError, type ErrorInfo, toErrorInfo } from "../errors";
import {
  type ChangeKind,
  type ChangeReceipt,
  type Clock,
  type CoderSource,
  type DxTarget,
  type Logger,
  type NewChange,
  type Run,
  type RunCounts,
  type RunTrigger,
  type SyncStore,
  silentLogger,
  systemClock,
} from "../ports";

export interface SyncDeps {
  coder: CoderSource;
  dx: DxTarget;
  store: SyncStore;
  clock?: Clock;
  log?: Logger;
  /** Identifies this process in the run lease. */
  leaseHolder?: string;
}

export interface Progress {
  phase: "read" | "plan" | "apply" | "done";
  done: number;
  total: number;
}

export interface PlanOptions {
  config: Config;
  /** Limit the run to these people (DX emails, any case). */
  emails?: readonly string[] | undefined;
  onProgress?: (progress: Progress) => void;
}

export interface SyncOptions extends PlanOptions {
  trigger: RunTrigger;
  dryRun?: boolean;
  /** Apply even when a brake would halt (never past a failed listing). */
  force?: boolean;
  /** Apply only if the fresh plan still has this digest (a saved plan, `apply FILE`). */
  expectedDigest?: string | undefined;
  /** Aborting stops new DX writes; writes in flight finish and are recorded, the rest stay for the next run. */
  signal?: AbortSignal | undefined;
}

export interface PreparedPlan {
  plan: Plan;
  halts: Halt[];
  sourceCount: number;
  observed: ReadonlyMap<string, DxObservedUser> | null;
  state: ReadonlyMap<string, UserState>;
}

export interface SyncResult {
  run: Run;
  plan: Plan | null;
  halts: Halt[];
}

export const LEASE_TTL_MS = 30_000;
/** This many DX outages in a row (after retries) mean DX is down: stop instead of failing user by user. */
const MAX_CONSECUTIVE_UNAVAILABLE = 10;

export function defaultLeaseHolder(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

function normaliseEmails(emails: readonly string[] | undefined): Set<string> | null {
  if (!emails || emails.length === 0) return null;
  return new Set(emails.map((email) => email.trim().toLowerCase()));
}

/** Read → map → plan → guard. Reads the store, never writes it; `plan` and `apply` share it. */
export async function preparePlan(deps: SyncDeps, options: PlanOptions): Promise<PreparedPlan> {
  const { config } = options;
  const now = (deps.clock ?? systemClock).now();
  options.onProgress?.({ phase: "read", done: 0, total: 2 });
  const readDx = async () =>
    config.dx.readBack
      ? Promise.all([deps.dx.listUsers(), deps.dx.listAttributeGroups()])
      : ([null, null] as const);
  // Coder's raw user objects live only inside readPeople: at 100,000 users they are the
  // biggest thing a run holds, and planning needs only the mapped people.
  const [mapped, [observed, dxGroups]] = await Promise.all([
    readPeople(deps.coder, config, now),
    readDx(),
  ]);
  // Loaded after the reads, not beside them: the read phase is the run's memory peak.
  const state = deps.store.loadUserStates();
  options.onProgress?.({ phase: "plan", done: 0, total: mapped.accounts });
  const plan = planSync({
    mapped,
    observed,
    state,
    config,
    emails: normaliseEmails(options.emails),
    now,
  });
  const scoped = normaliseEmails(options.emails) !== null;
  const halts = guardPlan({
    plan,
    config,
    sourceCount: mapped.accounts,
    // A scoped run touches a handful of people: the shrink brake compares whole listings only.
    lastSourceCount: scoped ? null : deps.store.lastSourceCount(),
    dxGroups,
  });
  return { plan, halts, sourceCount: mapped.accounts, observed, state };
}

function observedValues(entry: PlanEntry, observed: PreparedPlan["observed"], groups: string[]) {
  const seen = observed?.get(entry.email);
  if (!seen) return null;
  return Object.fromEntries(groups.map((g) => [g, seen.attributes[g.toLowerCase()] ?? null]));
}

/** Audit rows for a plan: one per planned write, plus the reasons some people get none. */
function changeRows(
  runId: string,
  at: string,
  prepared: PreparedPlan,
  outcome: "planned" | "pending",
): NewChange[] {
  const rows: NewChange[] = [];
  const groups = prepared.plan.ownedGroups;
  for (const entry of prepared.plan.entries) {
    const base = {
      runId,
      at,
      email: entry.email,
      coderUserId: entry.coderUserId,
      action: entry.action,
      error: null,
      attempts: 0,
      note: entry.note,
    };
    if (entry.attributes) {
      rows.push({
        ...base,
        kind: "attributes",
        before: entry.attributes.before,
        after: entry.attributes.after,
        observed: observedValues(entry, prepared.observed, groups),
        outcome,
      });
    }
    if (entry.properties) {
      rows.push({
        ...base,
        kind: "properties",
        before: entry.properties.before,
        after: entry.properties.after,
        observed: null,
        outcome,
      });
    }
    if (entry.action === "invalid") {
      rows.push({
        ...base,
        kind: "attributes",
        before: null,
        after: null,
        observed: null,
        outcome: "invalid",
        error: { code: "usage_invalid", message: entry.note ?? "invalid identity" },
      });
    }
    if (entry.action === "drift") {
      rows.push({
        ...base,
        kind: "attributes",
        before: observedValues(entry, prepared.observed, groups),
        after: entry.desired,
        observed: observedValues(entry, prepared.observed, groups),
        outcome: "skipped",
        note: "DX holds a value coder-dx did not push; left as is (drift: respect)",
      });
    }
  }
  return rows;
}

/** States DX already holds that the store does not know yet: adopted without a write. */
function adoptedStates(prepared: PreparedPlan, at: string): UserState[] {
  const adopted: UserState[] = [];
  for (const entry of prepared.plan.entries) {
    if (entry.action !== "unchanged" || !entry.desired || !prepared.observed?.has(entry.email))
      continue;
    const last = prepared.state.get(entry.email);
    if (
      last &&
      last.coderUserId === entry.coderUserId &&
      sameValues(last.attributes, entry.desired)
    )
      continue;
    adopted.push({
      email: entry.email,
      coderUserId: entry.coderUserId,
      attributes: entry.desired,
      properties: last?.properties ?? {},
      updatedAt: at,
      unmatchedAt: null,
      unmatchedAttributes: null,
    });
  }
  return adopted;
}

function planCounts(plan: Plan | null): RunCounts {
  const c = plan?.counts;
  return {
    users: c?.users ?? 0,
    unchanged: c?.unchanged ?? 0,
    changed: c?.changed ?? 0,
    applied: 0,
    rejected: 0,
    invalid: c?.invalid ?? 0,
    excluded: c?.excluded ?? 0,
    unmatched: c?.unmatched ?? 0,
    drift: c?.drift ?? 0,
  };
}

/**
 * Receipts are settled in batches (one transaction per batch, or every 200 ms), not one per
 * person. A crash loses at most the last batch of receipts; those intents stay `pending`, and
 * the next run re-plans them: DX's read-back shows the value, so nothing is written twice.
 */
class ReceiptBook {
  private buffer: ChangeReceipt[] = [];
  private readonly timer: NodeJS.Timeout;
  failed: unknown = null;

  constructor(private readonly store: SyncStore) {
    this.timer = setInterval(() => this.flush(), 200);
    this.timer.unref();
  }

  add(receipts: ChangeReceipt[]): void {
    for (const receipt of receipts) this.buffer.push(receipt);
    if (this.buffer.length >= 256) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0 || this.failed) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.store.settleChanges(batch);
    } catch (error) {
      this.failed = error;
    }
  }

  /** Settles what is left; throws the store's error if any batch failed. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
    if (this.failed) throw this.failed;
  }
}

export interface StartedSync {
  run: Run;
  done: Promise<SyncResult>;
}

/**
 * Takes the lease and records the run synchronously (so a caller can answer 202 with it
 * or 409 at once), then does the work in the background. `done` never rejects: every
 * failure ends as a recorded run.
 */
export function startSync(deps: SyncDeps, options: SyncOptions): StartedSync {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLogger;
  const holder = deps.leaseHolder ?? defaultLeaseHolder();
  if (!store.acquireLease(holder, Date.now(), LEASE_TTL_MS)) {
    throw new CoderDxError(
      "run_in_progress",
      "another coder-dx run holds this database's lease; try again when it ends",
    );
  }
  let run: Run;
  try {
    for (const closed of store.closeAbandonedRuns(
      clock.now().toISOString(),
      "abandoned: the process running it stopped before finishing",
    )) {
      log.warn("closed an abandoned run", { runId: closed.id });
    }
    run = store.startRun({
      trigger: options.trigger,
      dryRun: options.dryRun ?? false,
      scoped: normaliseEmails(options.emails) !== null,
      startedAt: clock.now().toISOString(),
    });
  } catch (error) {
    store.releaseLease(holder);
    throw error;
  }
  const renew = setInterval(
    () => store.renewLease(holder, Date.now(), LEASE_TTL_MS),
    LEASE_TTL_MS / 3,
  );
  renew.unref();
  const done = executeRun(deps, options, run, clock, log).finally(() => {
    clearInterval(renew);
    store.releaseLease(holder);
  });
  return { run, done };
}

export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  return startSync(deps, options).done;
}

async function executeRun(
  deps: SyncDeps,
  options: SyncOptions,
  run: Run,
  clock: Clock,
  log: Logger,
): Promise<SyncResult> {
  const { store } = deps;
  const finish = (
    status: Exclude<Run["status"], "running">,
    counts: RunCounts,
    error: ErrorInfo | null,
    sourceCount: number | null,
  ) =>
    store.finishRun(run.id, {
      status,
      finishedAt: clock.now().toISOString(),
      error,
      counts,
      sourceCount,
    });

  let prepared: PreparedPlan;
  try {
    prepared = await preparePlan(deps, options);
  } catch (error) {
    const info = toErrorInfo(error);
    log.error("run failed before any write", {
      runId: run.id,
      code: info.code,
      message: info.message,
    });
    return { run: finish("failed", planCounts(null), info, null), plan: null, halts: [] };
  }
  const { plan, halts, sourceCount } = prepared;
  const counts = planCounts(plan);
  const at = clock.now().toISOString();

  if (options.expectedDigest !== undefined && planDigest(plan) !== options.expectedDigest) {
    const message =
      "Coder or DX changed since the plan was saved; nothing was written. Make a new plan and review it.";
    return {
      run: finish("failed", counts, { code: "plan_stale", message }, sourceCount),
      plan,
      halts,
    };
  }

  if (halts.length > 0 && !options.force) {
    store.insertChanges(changeRows(run.id, at, prepared, "planned"));
    const message = halts.map((h) => h.message).join("; ");
    log.warn("run halted by a brake; nothing was written", {
      runId: run.id,
      reasons: halts.map((h) => h.reason),
    });
    return {
      run: finish(
        "halted",
        counts,
        { code: "halted", message: `${message} (use --force to apply anyway)` },
        sourceCount,
      ),
      plan,
      halts,
    };
  }
  if (options.dryRun) {
    store.insertChanges(changeRows(run.id, at, prepared, "planned"));
    return { run: finish("succeeded", counts, null, sourceCount), plan, halts };
  }

  // Intents first: a crash after this point leaves `pending` rows the next run closes and re-plans.
  const rows = changeRows(run.id, at, prepared, "pending");
  const ids = store.insertChanges(rows);
  store.adoptUserStates(adoptedStates(prepared, at));
  const intents = new Map<string, { kind: ChangeKind; id: string }[]>();
  rows.forEach((row, i) => {
    if (row.outcome !== "pending") return;
    const list = intents.get(row.email) ?? [];
    list.push({ kind: row.kind, id: ids[i] as string });
    intents.set(row.email, list);
  });

  const writes = plan.entries.filter(hasWrite);
  let fatal: ErrorInfo | null = null;
  let consecutiveUnavailable = 0;
  let done = 0;

  const receiptBook = new ReceiptBook(store);
  const applyOne = async (entry: PlanEntry) => {
    const receipts: ChangeReceipt[] = [];
    let unknownUser: ErrorInfo | null = null;
    for (const intent of intents.get(entry.email) ?? []) {
      const values =
        intent.kind === "attributes" ? entry.attributes?.after : entry.properties?.after;
      if (!values) continue;
      if (options.signal?.aborted && !fatal) {
        fatal = {
          code: "interrupted",
          message: "the process is shutting down; the next run finishes the job",
        };
      }
      const stop = fatal ?? unknownUser;
      if (stop) {
        receipts.push({
          changeId: intent.id,
          at: clock.now().toISOString(),
          outcome: "skipped",
          error: stop,
          attempts: 0,
        });
        continue;
      }
      try {
        const { attempts } =
          intent.kind === "attributes"
            ? await deps.dx.updateAttributes(entry.email, values)
            : await deps.dx.updateProperties(entry.email, values);
        consecutiveUnavailable = 0;
        receipts.push({
          changeId: intent.id,
          at: clock.now().toISOString(),
          outcome: "applied",
          error: null,
          attempts,
          state: {
            type: "confirmed",
            email: entry.email,
            coderUserId: entry.coderUserId,
            kind: intent.kind,
            values,
          },
        });
      } catch (error) {
        const info = toErrorInfo(error);
        const attempts = (error as { attempts?: number }).attempts ?? 1;
        const at = clock.now().toISOString();
        if (info.code === "dx_unknown_user") {
          receipts.push({
            changeId: intent.id,
            at,
            outcome: "unmatched",
            error: info,
            attempts,
            state: {
              type: "unmatched",
              email: entry.email,
              coderUserId: entry.coderUserId,
              attributes: entry.attributes?.after ?? {},
            },
          });
          unknownUser = info; // the properties write would be refused the same way
          continue;
        }
        consecutiveUnavailable = info.code === "dx_unavailable" ? consecutiveUnavailable + 1 : 0;
        if (
          info.code === "dx_unauthorized" ||
          consecutiveUnavailable >= MAX_CONSECUTIVE_UNAVAILABLE
        ) {
          fatal ??= info;
          receipts.push({ changeId: intent.id, at, outcome: "skipped", error: info, attempts });
          continue;
        }
        receipts.push({ changeId: intent.id, at, outcome: "rejected", error: info, attempts });
      }
    }
    receiptBook.add(receipts);
    if (receipts.some((r) => r.outcome === "rejected")) counts.rejected += 1;
    else if (receipts.some((r) => r.outcome === "unmatched")) counts.unmatched += 1;
    else if (receipts.every((r) => r.outcome === "applied")) counts.applied += 1;
    done += 1;
    options.onProgress?.({ phase: "apply", done, total: writes.length });
  };

  // A fixed pool of workers pulling the next person: bounded concurrency without a queued promise per person.
  let next = 0;
  const worker = async () => {
    while (next < writes.length && !receiptBook.failed) await applyOne(writes[next++] as PlanEntry);
  };
  await Promise.all(
    Array.from({ length: Math.min(options.config.dx.concurrency, writes.length) }, worker),
  );
  try {
    receiptBook.close();
  } catch (error) {
    // Only the store can fail here (DX errors became receipts): unsettled intents stay pending for the next run.
    return { run: finish("failed", counts, toErrorInfo(error), sourceCount), plan, halts };
  }
  options.onProgress?.({ phase: "done", done: writes.length, total: writes.length });
  if (fatal) {
    const message = `stopped applying: ${(fatal as ErrorInfo).message}`;
    return {
      run: finish("failed", counts, { code: (fatal as ErrorInfo).code, message }, sourceCount),
      plan,
      halts,
    };
  }
  const status = counts.rejected > 0 ? "partial" : "succeeded";
  return { run: finish(status, counts, null, sourceCount), plan, halts };
}
