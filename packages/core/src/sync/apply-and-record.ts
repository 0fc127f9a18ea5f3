import { isNewReason, reasonRows } from "../domain/run-record";
import type { RunEnd } from "../domain/run-decision";
import { finalStatus } from "../domain/write-outcome";
import type { RunCounts } from "../domain/run";
import { toErrorInfo } from "../errors";
import type { ChangeJournal, Logger, SyncStore } from "../ports";
import { applyPlan } from "./apply-plan";
import type { PreparedPlan } from "./prepare-plan";
import type { RunContext } from "./run-sync";

/** A real run: new reasons, adopted values and holds recorded, then the writes. */
export async function applyAndRecord(
  ctx: RunContext,
  prepared: PreparedPlan,
  counts: RunCounts,
  confirmed: Map<string, string>,
): Promise<RunEnd> {
  const { deps, options, run, clock, log } = ctx;
  const { store } = deps;
  const { plan } = prepared;
  const at = clock.now().toISOString();
  store.insertChanges(
    reasonRows(run.id, at, plan).filter((row) => isNewReason(store.lastChange(row.email), row)),
  );
  store.adoptUserStates(plan.adopt);
  store.saveHolds(plan.holdUpdates);
  const total = counts.changed;
  const journal = total > 0 ? openJournal(store, log) : null;
  const applied = await applyPlan(
    { dx: deps.dx, store, clock, ...(journal ? { journal } : {}) },
    {
      runId: run.id,
      at,
      plan,
      concurrency: options.config.dx.concurrency,
      readBack: prepared.observed !== null,
      stopSignal: ctx.stopSignal,
      abortSignal: options.abortSignal,
      leaseCheck: ctx.leaseCheck,
      onProgress: (done) => options.onProgress?.({ phase: "apply", done, total }),
    },
  ).finally(() => journal?.close());
  for (const [email, at] of applied.confirmed) confirmed.set(email, at);
  rememberUsernames(ctx, prepared);
  counts.applied = applied.applied;
  counts.rejected = applied.rejected;
  counts.unmatched += applied.unmatched;
  options.onProgress?.({ phase: "done", done: total, total });
  return { status: finalStatus(counts, applied.stop), error: applied.stop?.error ?? null };
}

/**
 * The Coder usernames of the people the run read, where the record has another (or none):
 * what People search finds besides emails. After the writes, so people new to DX are included.
 */
function rememberUsernames(ctx: RunContext, prepared: PreparedPlan): void {
  const changed = prepared.plan.entries
    .filter((e) => e.username !== null && prepared.state.get(e.email)?.username !== e.username)
    .map((e) => ({ email: e.email, username: e.username as string }));
  if (changed.length === 0) return;
  try {
    ctx.deps.store.rememberUsernames(changed);
  } catch (error) {
    ctx.log.warn("could not record usernames for People search", {
      message: toErrorInfo(error).message,
    });
  }
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
