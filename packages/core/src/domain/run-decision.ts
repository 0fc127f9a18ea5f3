import type { ErrorInfo } from "../errors";
import type { Halt } from "./guard";
import { type Plan, planDigest } from "./plan";
import type { FinalRunStatus } from "./run";

/** How a run ends: its final status and, unless it succeeded, why. */
export interface RunEnd {
  status: FinalRunStatus;
  error: ErrorInfo | null;
}

/**
 * What a run does with its plan in hand. Everything but `apply` ends the run without a write;
 * `halted` and `dry` record the plan (`planned` rows) so anyone can see what would have gone.
 */
export type RunDecision =
  | { kind: "stale"; end: RunEnd }
  | { kind: "halted"; end: RunEnd }
  | { kind: "dry"; end: RunEnd }
  | { kind: "apply" };

export interface DecideInput {
  plan: Plan;
  halts: readonly Halt[];
  dryRun: boolean;
  /** Apply past the brakes (never past a listing that failed: that fails before a plan exists). */
  force: boolean;
  /** Apply only while a fresh plan has this digest (a saved plan, `apply FILE`). */
  expectedDigest?: string | undefined;
}

/** Stale saved plan → halted at a brake → dry run → apply, in that order. Pure. */
export function decideRun({
  plan,
  halts,
  dryRun,
  force,
  expectedDigest,
}: DecideInput): RunDecision {
  // A saved plan no longer true is refused before anything else: it is not the plan reviewed.
  if (expectedDigest !== undefined && planDigest(plan) !== expectedDigest) {
    return {
      kind: "stale",
      end: {
        status: "failed",
        error: {
          code: "plan_stale",
          message:
            "Coder or DX changed since the plan was saved; nothing was written. Make a new plan and review it.",
        },
      },
    };
  }
  // A brake halts a dry run too: the preview says what a real run would do.
  if (halts.length > 0 && !force) {
    return {
      kind: "halted",
      end: {
        status: "halted",
        error: {
          code: "halted",
          message: `${halts.map((h) => h.message).join("; ")} (use --force to apply anyway)`,
        },
      },
    };
  }
  if (dryRun) return { kind: "dry", end: { status: "succeeded", error: null } };
  return { kind: "apply" };
}

/**
 * How a run that threw ends. A lost lease is the reason whatever was thrown (the store or a
 * read failed because another process took over), then a stop asked for (a signal: nothing
 * was written yet, since writes never throw), then the failure itself.
 */
export function endFromFailure(
  error: ErrorInfo,
  context: { leaseLost: ErrorInfo | null; stopped: AbortSignal },
): RunEnd {
  let info = error;
  if (context.leaseLost) info = context.leaseLost;
  else if (context.stopped.aborted) {
    const reason = context.stopped.reason;
    info = {
      code: "interrupted",
      message: `${typeof reason === "string" ? reason : "stopped"} before any write; nothing was written`,
    };
  }
  const interrupted = info.code === "interrupted" || info.code === "lease_lost";
  return { status: interrupted ? "interrupted" : "failed", error: info };
}
