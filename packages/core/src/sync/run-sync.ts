import { countsFromPlan, intentRows, reasonRows } from "../domain/run-record";
import { decideRun, endFromFailure, type RunEnd } from "../domain/run-decision";
import { reconcilePending } from "../domain/write-outcome";
import type { Halt } from "../domain/guard";
import type { Plan } from "../domain/plan";
import type { RunCounts, RunTrigger } from "../domain/run";
import { CoderDxError, type ErrorInfo, toErrorInfo } from "../errors";
import type {
  Clock,
  CoderSource,
  DxTarget,
  Logger,
  Notification,
  NotificationSettlement,
  Run,
  SyncStore,
} from "../ports";
import { applyAndRecord } from "./apply-and-record";
import type { RunNotifier } from "./notify";
import { followedKinds, type PlatformxDispatcher } from "./platformx";
import { previousPassStart, recordRunEvents } from "./run-events";
import { covers, settleCovered, settleUnfollowed } from "./settle-notifications";
import {
  type PlanOptions,
  type PreparedPlan,
  preparePlan,
  prepareStatusPlan,
} from "./prepare-plan";

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
  /** Sends the PlatformX events runs record; after the lease is released. */
  platformx?: PlatformxDispatcher;
}

export interface SyncOptions extends Omit<PlanOptions, "scope"> {
  trigger: RunTrigger;
  /** Limit the run to these people (DX emails, any case). */
  emails?: readonly string[] | undefined;
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

export interface SyncResult {
  run: Run;
  plan: Plan | null;
  halts: Halt[];
  /** The notifications from Coder the run settled (a hook run's, or those a full run covered). */
  hints: (Notification & NotificationSettlement)[];
}

export interface RunContext {
  deps: SyncDeps;
  options: SyncOptions;
  /** The people the run is limited to (normalised once, from `options.emails`), or null. */
  scope: ReadonlySet<string> | null;
  run: Run;
  clock: Clock;
  log: Logger;
  /** Aborted when the caller stops the run or the lease is lost. */
  stopSignal: AbortSignal;
  /** Null while the lease is held; why it was lost, once it is. */
  leaseCheck: () => ErrorInfo | null;
}

/**
 * One run from its reads to its recorded end: read → plan → guard (`prepare-plan.ts`), decide
 * (`decideRun`), apply (`apply-and-record.ts`), record the end; then, for a run that covered
 * them, PlatformX's events (`run-events.ts`) and the notifications it settles
 * (`settle-notifications.ts`). Whatever fails (Coder, DX, the store, a signal, a
 * lost lease) ends here as a final status; it never throws. When the store cannot record the
 * end, the run stays `running` for the next run to close, and the returned run says why.
 */
export async function executeRun(ctx: RunContext): Promise<SyncResult> {
  const { deps, options, run, log } = ctx;
  let prepared: PreparedPlan | null = null;
  let counts = countsFromPlan(null);
  let end: RunEnd;
  let hints: Notification[] = [];
  let previousPassAt: string | null = null;
  // Waiting from when PlatformX followed them (its token since removed): settled, not acted on.
  let unfollowed: Notification[] = [];
  const confirmed = new Map<string, string>();
  try {
    // Waiting notifications, read before Coder is: a hook run is for them, and a run that reads
    // every account (full, status pass) covers the people they name.
    const followed = followedKinds(options.config);
    const waiting = deps.store.waitingNotifications();
    hints = waiting.filter((n) => followed.has(n.kind));
    unfollowed = waiting.filter((n) => !followed.has(n.kind));
    previousPassAt = previousPassStart(deps.store, ctx);
    prepared = await prepare(ctx, hints);
    counts = countsFromPlan(prepared.plan);
    settleLeftovers(ctx, prepared.observed);
    const decision = decideRun({
      plan: prepared.plan,
      halts: prepared.halts,
      dryRun: options.dryRun ?? false,
      force: options.force ?? false,
      expectedDigest: options.expectedDigest,
    });
    if (decision.kind === "apply") end = await applyAndRecord(ctx, prepared, counts, confirmed);
    else {
      if (decision.kind !== "stale") recordPlanned(ctx, prepared.plan);
      if (decision.kind === "halted")
        log.warn("run halted by a brake; nothing was written", {
          runId: run.id,
          reasons: prepared.halts.map((h) => h.reason),
        });
      end = decision.end;
    }
  } catch (error) {
    end = endFromFailure(toErrorInfo(error), {
      leaseLost: ctx.leaseCheck(),
      stopped: ctx.stopSignal,
    });
    log.error(prepared ? "run failed" : "run failed before any write", {
      runId: run.id,
      code: end.error?.code,
      message: end.error?.message,
    });
  }
  const result = recordEnd(ctx, end, counts, prepared);
  if (!covers(ctx, result.run)) return result;
  settleUnfollowed(ctx, result.run, unfollowed);
  const eventNotes = await recordRunEvents({
    ctx,
    run: result.run,
    hints,
    prepared,
    confirmed,
    previousPassAt,
  });
  if (eventNotes === null) return result;
  return {
    ...result,
    hints: settleCovered(ctx, result.run, hints, prepared, confirmed, eventNotes),
  };
}

/** The reads and the plan the run's trigger calls for. */
function prepare(ctx: RunContext, hints: readonly Notification[]): Promise<PreparedPlan> {
  const { deps, options } = ctx;
  const planOptions = { ...options, signal: ctx.stopSignal };
  switch (options.trigger) {
    case "hook":
      return prepareStatusPlan(deps, planOptions, hints);
    case "status":
      return prepareStatusPlan(deps, planOptions, null);
    default:
      return preparePlan(deps, { ...planOptions, scope: ctx.scope }).then((prepared) => {
        // `--email nobody@…`: a mistake to name, not an empty success.
        if (ctx.scope !== null && prepared.plan.entries.length === 0)
          throw new CoderDxError(
            "usage_invalid",
            `nobody matched: ${[...ctx.scope].join(", ")} ${ctx.scope.size === 1 ? "is" : "are"} in neither Coder, DX nor coder-dx's records`,
          );
        return prepared;
      });
  }
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

/** A run that writes nothing (dry, halted) records its whole plan as `planned` rows. */
function recordPlanned(ctx: RunContext, plan: Plan): void {
  const at = ctx.clock.now().toISOString();
  ctx.deps.store.insertChanges([
    ...plan.entries.flatMap((entry) => intentRows(ctx.run.id, at, entry, "planned")),
    ...reasonRows(ctx.run.id, at, plan),
  ]);
}

/** Records the run's end; a store that cannot is reported, and the next run closes the run. */
function recordEnd(
  ctx: RunContext,
  end: RunEnd,
  counts: RunCounts,
  prepared: PreparedPlan | null,
): SyncResult {
  const { deps, run, clock, log } = ctx;
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
  return { run: recorded, plan: prepared?.plan ?? null, halts: prepared?.halts ?? [], hints: [] };
}
