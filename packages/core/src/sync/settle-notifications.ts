import { settleHints } from "../domain/hints";
import { toErrorInfo } from "../errors";
import type { Notification, Run } from "../ports";
import type { PreparedPlan } from "./prepare-plan";
import type { RunContext, SyncResult } from "./run-sync";

/**
 * What becomes of the notifications from Coder that were waiting when a run began, once the
 * run has ended: a run settles those it covered with what Coder's record bore out (and what
 * PlatformX made of them); the others wait for the next run. Settling never fails a run: a
 * store that cannot record it leaves them waiting.
 */

/**
 * Whether a run covers the notifications waiting when it began: a hook run those it was for
 * (unless it failed or was stopped: then they wait for the next), a full run or status pass
 * over everyone every one waiting (a dry or scoped run covers nobody for certain).
 */
export function covers(ctx: RunContext, run: Run): boolean {
  return ctx.options.trigger === "hook"
    ? run.status !== "failed" && run.status !== "interrupted" && run.status !== "running"
    : !run.dryRun && !run.scoped && (run.status === "succeeded" || run.status === "partial");
}

/**
 * Settles the notifications a run covered (see `covers`), with what Coder's record bore out
 * and what PlatformX made of them. Never fails the run.
 */
export function settleCovered(
  ctx: RunContext,
  run: Run,
  hints: readonly Notification[],
  prepared: PreparedPlan | null,
  confirmed: ReadonlyMap<string, string>,
  eventNotes: ReadonlyMap<string, string>,
): SyncResult["hints"] {
  if (hints.length === 0) return [];
  const isHook = ctx.options.trigger === "hook";
  const settlements = settleHints({
    hints,
    runId: run.id,
    plan: prepared?.plan ?? null,
    mapped: prepared?.mapped ?? null,
    state: prepared?.state ?? new Map(),
    confirmed,
    at: ctx.clock.now().toISOString(),
    eventNotes,
    ...(isHook
      ? run.status === "halted"
        ? { coveredBy: `the run halted at a brake: ${run.error?.message ?? ""}` }
        : {}
      : {
          coveredBy: `covered by a ${ctx.options.trigger === "status" ? "status pass" : "full run"}`,
        }),
  });
  try {
    ctx.deps.store.settleNotifications(settlements);
  } catch (error) {
    ctx.log.warn(
      "could not record what became of Coder's notifications; they wait for the next run",
      {
        runId: run.id,
        message: toErrorInfo(error).message,
      },
    );
    return [];
  }
  const byId = new Map(hints.map((h) => [h.id, h]));
  return settlements.map((s) => ({ ...(byId.get(s.id) as Notification), ...s }));
}

/** Notifications no longer followed (PlatformX turned off since) are `ignored`, with why. */
export function settleUnfollowed(
  ctx: RunContext,
  run: Run,
  unfollowed: readonly Notification[],
): void {
  if (unfollowed.length === 0) return;
  const at = ctx.clock.now().toISOString();
  try {
    ctx.deps.store.settleNotifications(
      unfollowed.map((n) => ({
        id: n.id,
        outcome: "ignored",
        runId: run.id,
        note: "PlatformX no longer follows it (platformx.token is not set): nothing to do",
        handledAt: at,
        confirmedAt: null,
      })),
    );
  } catch (error) {
    ctx.log.warn("could not settle notifications no longer followed", {
      message: toErrorInfo(error).message,
    });
  }
}
