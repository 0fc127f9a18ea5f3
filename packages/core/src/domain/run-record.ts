import type { ErrorInfo } from "../errors";
import type { ChangeRow, NewChange } from "../ports";
import type { Plan, PlanEntry } from "./plan";
import { emptyRunCounts, type RunCounts } from "./run";

/** What every audit row of one person in one run shares. */
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

/**
 * The audit rows of one person's planned writes, in write order (attributes, then properties):
 * `pending` intents before a write, `planned` for a run that writes nothing (dry, halted),
 * `skipped` for writes a stopped run never started (with why).
 */
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

/**
 * The rows recording why some people get no write: an identity that cannot be used (`invalid`),
 * a value someone set by hand in DX that `drift: respect` leaves alone (`skipped`).
 */
export function reasonRows(runId: string, at: string, plan: Plan): NewChange[] {
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
 * Whether a reason row says something the person's newest audit row does not already say. A
 * real run records an unchanged reason once, not once per run: an invalid identity that stays
 * invalid through a year of hourly runs is one row, and a row again when its reason changes.
 */
export function isNewReason(last: ChangeRow | null, row: NewChange): boolean {
  return !(
    last &&
    last.coderUserId === row.coderUserId &&
    last.outcome === row.outcome &&
    last.note === row.note &&
    last.error?.message === row.error?.message &&
    JSON.stringify(last.after) === JSON.stringify(row.after)
  );
}

/** A run's counts as its plan gives them; the writes' outcomes are added as they land. */
export function countsFromPlan(plan: Plan | null): RunCounts {
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
