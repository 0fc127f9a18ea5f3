import type { Config } from "../config/schema";
import type { DxObservedUser } from "../domain/dx-user";
import { guardPlan, type Halt } from "../domain/guard";
import { type Plan, type PlanEntry, planDigest, planSync, type UserState } from "../domain/plan";
import { emptyRunCounts, type FinalRunStatus, type RunCounts } from "../domain/run";
import { finalStatus, reconcilePending } from "../domain/write-outcome";
import { type ErrorInfo, toErrorInfo } from "../errors";
import type { RunNotifier } from "./notify";
import type {
  ChangeJournal,
  Clock,
  CoderSource,
  DxTarget,
  Logger,
  NewChange,
  Run,
  SyncStore,
} from "../ports";
import type { RunTrigger } from "../domain/run";
import { applyPlan } from "./apply-plan";
import { readActiveDays, readPeople } from "./read-people";

export interface SyncDeps {
  coder: CoderSource;
  dx: DxTarget;
  store: SyncStore;
  clock?: Clock;
  log?: Logger;
  /** Identifies this process in the run lease (see `currentHolder`). */
  leaseHolder?: string;
  leaseTtlMs?: number;
  /** Told when a run ends (webhooks); after the lease is released. */
  notifier?: RunNotifier;
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
  /** Aborts the reads. */
  signal?: AbortSignal | undefined;
}

export interface SyncOptions extends PlanOptions {
  trigger: RunTrigger;
  dryRun?: boolean;
  /** Apply even when a brake would halt (never past a failed listing). */
  force?: boolean;
  /** Apply only if the fresh plan still has this digest (a saved plan, `apply FILE`). */
  expectedDigest?: string | undefined;
  /**
   * Stop: reads are abandoned, no new DX write starts, writes in flight land and are recorded;
   * the run ends `interrupted`. Its reason, when a string, says why ("SIGTERM").
   */
  signal?: AbortSignal | undefined;
  /** Abort DX writes in flight (a shutdown past its drain deadline); their rows stay pending. */
  abortSignal?: AbortSignal | undefined;
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

export function normaliseEmails(emails: readonly string[] | undefined): Set<string> | null {
  if (!emails || emails.length === 0) return null;
  return new Set(emails.map((email) => email.trim().toLowerCase()));
}

/** Read → map → plan → guard. Reads the store, never writes it; `plan` and `apply` share it. */
export async function preparePlan(deps: SyncDeps, options: PlanOptions): Promise<PreparedPlan> {
  const { config, signal } = options;
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
  const emails = normaliseEmails(options.emails);
  const holds = deps.store.loadHolds();
  const plan = planSync({ mapped, observed, state, config, emails, now, holds });
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
    lastSourceCount: emails !== null ? null : deps.store.lastSourceCount(),
    dxGroups,
  });
  return { plan, halts, sourceCount: mapped.accounts, observed, state };
}

const base = (runId: string, at: string, entry: PlanEntry) => ({
  runId,
  at,
  email: entry.email,
  coderUserId: entry.coderUserId,
  action: entry.action,
  error: null,
  attempts: 0,
  note: entry.note,
});

/** The audit rows of one person's planned writes, in write order (attributes, then properties). */
export function intentRows(
  runId: string,
  at: string,
  entry: PlanEntry,
  outcome: "pending" | "planned" | "skipped",
  error: ErrorInfo | null = null,
): NewChange[] {
  const rows: NewChange[] = [];
  if (entry.attributes) {
    rows.push({
      ...base(runId, at, entry),
      kind: "attributes",
      before: entry.attributes.before,
      after: entry.attributes.after,
      observed: entry.observed,
      outcome,
      error,
      evidence: entry.evidence ?? null,
    });
  }
  if (entry.properties) {
    rows.push({
      ...base(runId, at, entry),
      kind: "properties",
      before: entry.properties.before,
      after: entry.properties.after,
      observed: null,
      outcome,
      error,
    });
  }
  return rows;
}

/** The rows recording why some people get no write: an unusable identity, drift left alone. */
function reasonRows(runId: string, at: string, plan: Plan): NewChange[] {
  const rows: NewChange[] = [];
  for (const entry of plan.entries) {
    if (entry.action === "invalid") {
      rows.push({
        ...base(runId, at, entry),
        kind: "attributes",
        before: null,
        after: null,
        observed: null,
        outcome: "invalid",
        error: { code: "identity_invalid", message: entry.note ?? "invalid identity" },
      });
    } else if (entry.action === "drift") {
      rows.push({
        ...base(runId, at, entry),
        kind: "attributes",
        before: entry.observed,
        after: entry.desired,
        observed: entry.observed,
        outcome: "skipped",
        note: "DX holds a value coder-dx did not push; left as is (drift: respect)",
      });
    }
  }
  return rows;
}

/**
 * Reasons already on record: a person whose newest audit row gives the same reason gets no
 * new one, so an invalid identity makes one row per change of reason, not one per run.
 */
function newReasons(store: SyncStore, rows: NewChange[]): NewChange[] {
  return rows.filter((row) => {
    const last = store.lastChange(row.email);
    return !(
      last &&
      last.coderUserId === row.coderUserId &&
      last.outcome === row.outcome &&
      last.note === row.note &&
      last.error?.message === row.error?.message &&
      JSON.stringify(last.after) === JSON.stringify(row.after)
    );
  });
}

function planCounts(plan: Plan | null): RunCounts {
  const c = plan?.counts;
  return {
    ...emptyRunCounts(),
    users: c?.users ?? 0,
    unchanged: c?.unchanged ?? 0,
    changed: c?.changed ?? 0,
    invalid: c?.invalid ?? 0,
    excluded: c?.excluded ?? 0,
    merged: c?.merged ?? 0,
    unmatched: c?.unmatched ?? 0,
    drift: c?.drift ?? 0,
  };
}

export interface RunContext {
  deps: SyncDeps;
  options: SyncOptions;
  run: Run;
  clock: Clock;
  log: Logger;
  /** Aborted when the caller stops the run or the lease is lost. */
  stopSignal: AbortSignal;
  /** Null while the lease is held; why it was lost, once it is. */
  leaseCheck: () => ErrorInfo | null;
}

/**
 * Settles intents that earlier runs left `pending` (killed, crashed, aborted in flight) by
 * what DX's listing shows now. Without a complete read-back they stay pending, for a run that
 * has one.
 */
function settleLeftovers(ctx: RunContext, observed: PreparedPlan["observed"]): void {
  const { store } = ctx.deps;
  const pending = store.listPendingChanges(ctx.run.id);
  if (pending.length === 0) return;
  const at = ctx.clock.now().toISOString();
  const receipts = pending.map((row) =>
    reconcilePending(row, observed === null ? null : observed.get(row.email), at),
  );
  store.settleChanges(receipts);
  ctx.log.info("settled writes an interrupted run left unanswered", {
    runId: ctx.run.id,
    confirmed: receipts.filter((r) => r.outcome === "applied").length,
    replanned: receipts.filter((r) => r.outcome === "skipped").length,
  });
}

interface RunEnd {
  status: FinalRunStatus;
  error: ErrorInfo | null;
}

/** Plan in hand: refuse a stale saved plan, halt at a brake, record a dry run, or apply. */
async function decideAndApply(
  ctx: RunContext,
  prepared: PreparedPlan,
  counts: RunCounts,
): Promise<RunEnd> {
  const { deps, options, run, clock, log } = ctx;
  const { store } = deps;
  const { plan, halts } = prepared;
  const at = clock.now().toISOString();
  const planned = () =>
    store.insertChanges([
      ...plan.entries.flatMap((entry) => intentRows(run.id, at, entry, "planned")),
      ...reasonRows(run.id, at, plan),
    ]);

  if (options.expectedDigest !== undefined && planDigest(plan) !== options.expectedDigest) {
    return {
      status: "failed",
      error: {
        code: "plan_stale",
        message:
          "Coder or DX changed since the plan was saved; nothing was written. Make a new plan and review it.",
      },
    };
  }
  if (halts.length > 0 && !options.force) {
    planned();
    log.warn("run halted by a brake; nothing was written", {
      runId: run.id,
      reasons: halts.map((h) => h.reason),
    });
    const message = halts.map((h) => h.message).join("; ");
    return {
      status: "halted",
      error: { code: "halted", message: `${message} (use --force to apply anyway)` },
    };
  }
  if (options.dryRun) {
    planned();
    return { status: "succeeded", error: null };
  }

  store.insertChanges(newReasons(store, reasonRows(run.id, at, plan)));
  store.adoptUserStates(plan.adopt);
  store.saveHolds(plan.holdUpdates);
  const total = counts.changed;
  const journal = total > 0 ? openJournal(store, log) : null;
  const applied = await applyPlan(
    { dx: deps.dx, store, clock, log, ...(journal ? { journal } : {}) },
    {
      runId: run.id,
      plan,
      intentRows: (entry, outcome, error) => intentRows(run.id, at, entry, outcome, error ?? null),
      concurrency: options.config.dx.concurrency,
      readBack: prepared.observed !== null,
      stopSignal: ctx.stopSignal,
      abortSignal: options.abortSignal,
      guard: () => {
        const lost = ctx.leaseCheck();
        if (!lost) return null;
        return { status: lost.code === "store_failed" ? "failed" : "interrupted", error: lost };
      },
      onProgress: (done) => options.onProgress?.({ phase: "apply", done, total }),
    },
  ).finally(() => journal?.close());
  counts.applied = applied.applied;
  counts.rejected = applied.rejected;
  counts.unmatched += applied.unmatched;
  options.onProgress?.({ phase: "done", done: total, total });
  return { status: finalStatus(counts, applied.stop), error: applied.stop?.error ?? null };
}

/** The store's journal for a run's writes; its own calls when it has none, or none starts. */
function openJournal(store: SyncStore, log: Logger): ChangeJournal | null {
  try {
    return store.openJournal?.() ?? null;
  } catch (error) {
    log.warn("the run's journal did not start; intents and receipts commit on the event loop", {
      error: toErrorInfo(error).message,
    });
    return null;
  }
}

/**
 * One run from its reads to its recorded end. Whatever fails (Coder, DX, the store, a signal,
 * a lost lease) ends here as a final status; it never throws. When the store cannot record
 * the end, the run stays `running` for the next run to close, and the returned run says why.
 */
export async function executeRun(ctx: RunContext): Promise<SyncResult> {
  const { deps, options, run, clock, log } = ctx;
  let prepared: PreparedPlan | null = null;
  let counts = planCounts(null);
  let end: RunEnd;
  try {
    prepared = await preparePlan(deps, { ...options, signal: ctx.stopSignal });
    counts = planCounts(prepared.plan);
    settleLeftovers(ctx, prepared.observed);
    end = await decideAndApply(ctx, prepared, counts);
  } catch (error) {
    const lost = ctx.leaseCheck();
    let info = toErrorInfo(error);
    if (lost) info = lost;
    else if (ctx.stopSignal.aborted)
      info = {
        code: "interrupted",
        message: `${typeof ctx.stopSignal.reason === "string" ? ctx.stopSignal.reason : "stopped"} before any write; nothing was written`,
      };
    end = {
      status: info.code === "interrupted" || info.code === "lease_lost" ? "interrupted" : "failed",
      error: info,
    };
    log.error(prepared ? "run failed" : "run failed before any write", {
      runId: run.id,
      code: info.code,
      message: info.message,
    });
  }
  const result = {
    status: end.status,
    finishedAt: clock.now().toISOString(),
    error: end.error,
    counts,
    sourceCount: prepared?.sourceCount ?? null,
  };
  let recorded: Run;
  try {
    recorded = deps.store.finishRun(run.id, result);
  } catch (error) {
    const info = toErrorInfo(error);
    log.error("could not record the end of the run; the next run closes it", {
      runId: run.id,
      message: info.message,
    });
    // The first store failure is the one to report; a later one usually only repeats it.
    const cause = end.error?.code === "store_failed" ? end.error : info;
    recorded = { ...run, ...result, status: "failed", error: cause };
  }
  return { run: recorded, plan: prepared?.plan ?? null, halts: prepared?.halts ?? [] };
}
