import { type ErrorCode, type ErrorInfo, toErrorInfo } from "../errors";
import type { ChangeReceipt, ChangeRow } from "../ports";
import type { DxAttributesAnswer, DxObservedUser, DxPropertiesAnswer } from "./dx-user";
import type { FinalRunStatus, RunCounts } from "./run";

/** What DX's answer to one write proves, group by group (or property by property). */
export interface WriteVerdict {
  /** Sent values DX's answer confirms it holds. */
  confirmed: Record<string, string | null>;
  /** Sent values DX's answer does not confirm, each with the reason in words. */
  refused: { name: string; reason: string }[];
}

/**
 * The group a `failures` entry names, if it names one. DX does not document the entries
 * (reference/dx/API.md §8); a bare string or an object with `name`/`attribute`/`group` is
 * read as naming that group.
 */
function failedGroup(entry: unknown): string | null {
  if (typeof entry === "string") return entry;
  if (entry !== null && typeof entry === "object") {
    for (const key of ["name", "attribute", "group", "attribute_group"]) {
      const value = (entry as Record<string, unknown>)[key];
      if (typeof value === "string" && value !== "") return value;
    }
  }
  return null;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/**
 * Reads DX's 200 to `users.attributes.update` (seeds/002: the answer lists *all* of the user's
 * attributes, `updated: true` only where the request changed something). A sent group is
 * confirmed when the answer holds it (group names compared case-insensitively, as DX matches
 * them) with the value sent, or lacks it when `null` was sent. A `failures` entry naming a sent
 * group refuses that group. Unsent groups and the `updated` flags are no evidence either way:
 * `updated: false` is what DX answers for a value that was already right.
 *
 * Where DX's behaviour is unknown, the reading is the one that never records a value DX may
 * not hold: a `failures` entry that names no group refuses every sent group. A refused group
 * is only "not confirmed": nothing is recorded as pushed, and the next run's read-back decides.
 */
export function judgeAttributeWrite(
  sent: Record<string, string | null>,
  answer: DxAttributesAnswer,
): WriteVerdict {
  const held = new Map(answer.attributes.map((a) => [a.name.toLowerCase(), a.value]));
  const failed = new Map<string, unknown>();
  const unattributed: unknown[] = [];
  for (const entry of answer.failures) {
    const group = failedGroup(entry);
    if (group === null) unattributed.push(entry);
    else failed.set(group.toLowerCase(), entry);
  }
  const verdict: WriteVerdict = { confirmed: {}, refused: [] };
  for (const [group, value] of Object.entries(sent)) {
    const key = group.toLowerCase();
    const failure = failed.get(key);
    let reason: string | null = null;
    if (failure !== undefined) reason = `DX listed it in failures: ${describe(failure)}`;
    else if (unattributed.length > 0)
      reason = `DX reported failures naming no group: ${describe(unattributed)}`;
    else if (!held.has(key)) {
      if (value !== null) reason = "DX's answer does not hold this group";
    } else if (value === null) reason = `DX still holds "${held.get(key)}"`;
    else if (held.get(key) !== value) reason = `DX holds "${held.get(key)}", not "${value}"`;
    if (reason === null) verdict.confirmed[group] = value;
    else verdict.refused.push({ name: group, reason });
  }
  return verdict;
}

/**
 * Reads DX's 200 to `users.update`. DX documents `ok` as the answer (its example echoes the
 * user's properties, but no page promises the echo): a sent property is confirmed unless the
 * echo shows it holding something else.
 */
export function judgePropertyWrite(
  sent: Record<string, string | null>,
  answer: DxPropertiesAnswer,
): WriteVerdict {
  const verdict: WriteVerdict = { confirmed: {}, refused: [] };
  for (const [name, value] of Object.entries(sent)) {
    const echoed = answer?.[name];
    if (answer === undefined || !(name in answer) || (echoed ?? null) === value) {
      verdict.confirmed[name] = value;
    } else {
      verdict.refused.push({
        name,
        reason: `DX holds ${describe(echoed)}, not ${describe(value)}`,
      });
    }
  }
  return verdict;
}

/** DX codes that plainly say "no such user"; trusted only when there is no read-back to ask. */
const UNKNOWN_USER_CODES = new Set([
  "user_not_found",
  "not_found",
  "unknown_user",
  "no_users_found",
]);

/** A failed write, as the run records it and whether the run must stop starting writes. */
export interface WriteFailure {
  outcome: "rejected" | "unmatched" | "skipped" | "pending";
  error: ErrorInfo;
  /** The run must stop starting writes: DX refuses the token, the URL is wrong, or shutdown aborted it. */
  stop: boolean;
}

/**
 * What a write that did not get a 200 means. DX does not document its answer for an unknown
 * email (reference/dx/API.md §8), so the status code cannot say it: with read-back on, an
 * email absent from `users.list` whose write gets a 4xx is `unmatched`, one present there is
 * `rejected`. Without read-back, only a code that plainly says so makes it `unmatched`.
 * `listed` is null when read-back is off.
 */
export function classifyWriteFailure(
  error: { code: ErrorCode; message: string; details?: { upstreamCode?: string } },
  listed: boolean | null,
): WriteFailure {
  const info = { code: error.code, message: error.message };
  switch (error.code) {
    case "interrupted":
      return {
        outcome: "pending",
        error: {
          code: "interrupted",
          message:
            "aborted in flight at shutdown: DX may or may not have it; the next run checks its read-back",
        },
        stop: true,
      };
    case "dx_unauthorized":
    case "dx_url_invalid":
    case "dx_tls":
    // Refused before it left: the lease went to another process, or the database went.
    case "lease_lost":
    case "store_failed":
      return { outcome: "skipped", error: info, stop: true };
    case "dx_rejected": {
      const unknown =
        listed === false ||
        (listed === null && UNKNOWN_USER_CODES.has(error.details?.upstreamCode ?? ""));
      if (!unknown) return { outcome: "rejected", error: info, stop: false };
      return {
        outcome: "unmatched",
        error: {
          code: "dx_unknown_user",
          message: `${listed === false ? "DX's users.list does not show this email, and " : ""}DX refused the write: ${error.message}`,
        },
        stop: false,
      };
    }
    default:
      return { outcome: "rejected", error: info, stop: false };
  }
}

export const RECONCILED_NOTE = "confirmed by read-back after the run was interrupted";

/**
 * Settles an intent whose run ended before its answer was recorded (a crash, a kill, a
 * shutdown that aborted it in flight), by what DX's listing shows now: a row whose values DX
 * holds is `applied`, the rest `skipped` (this run plans them afresh from what DX holds).
 * `seen` is DX's listing of the person (undefined: not listed; null: read-back is off).
 */
export function reconcilePending(
  row: ChangeRow,
  seen: DxObservedUser | null | undefined,
  at: string,
): ChangeReceipt {
  const values = row.after ?? {};
  const holds =
    seen !== null &&
    seen !== undefined &&
    Object.keys(values).length > 0 &&
    Object.entries(values).every(([name, value]) =>
      row.kind === "attributes"
        ? (seen.attributes[name.toLowerCase()] ?? null) === value
        : name === "github_username" && (seen.githubUsername ?? null) === value,
    );
  if (!holds) {
    return {
      changeId: row.id,
      at,
      outcome: "skipped",
      error: row.error,
      attempts: row.attempts,
      note:
        seen === null
          ? "the run was interrupted before DX answered; read-back is off, so this run plans it afresh"
          : "the run was interrupted before DX answered, and DX does not hold it; this run plans it afresh",
    };
  }
  return {
    changeId: row.id,
    at,
    outcome: "applied",
    error: null,
    attempts: row.attempts,
    note: RECONCILED_NOTE,
    state: {
      type: "confirmed",
      email: row.email,
      coderUserId: row.coderUserId,
      kind: row.kind,
      values,
    },
  };
}

/** Why a run stopped starting writes before its plan was done. */
export interface RunStop {
  /** `interrupted`: a signal or a lost lease; `failed`: DX or the store cannot go on. */
  status: "interrupted" | "failed";
  error: ErrorInfo;
}

/** This many DX outages in a row (after retries) mean DX is down: stop, not fail person by person. */
export const MAX_CONSECUTIVE_UNAVAILABLE = 10;

/** A stop asked for (a signal, a shutdown): what is in flight lands and is recorded. */
export function stopForInterrupt(reason: unknown): RunStop {
  const why = typeof reason === "string" ? reason : "the process is shutting down";
  return {
    status: "interrupted",
    error: {
      code: "interrupted",
      message: `${why}: writes in flight landed and were recorded; the next run finishes the job`,
    },
  };
}

/**
 * The lease was lost (another process took it) or the database went (deleted, replaced): no
 * write may start beside the new holder, or one that could not be recorded.
 */
export function stopForLease(lost: ErrorInfo): RunStop {
  return { status: lost.code === "store_failed" ? "failed" : "interrupted", error: lost };
}

/** The store failed: no write may start that could not be recorded. */
export function stopForStore(error: unknown): RunStop {
  const info = toErrorInfo(error);
  return {
    status: "failed",
    error:
      info.code === "store_failed"
        ? info
        : { code: "store_failed", message: `the database failed: ${info.message}` },
  };
}

/**
 * Whether one write's failure stops the run: DX refused the token or the URL is wrong (every
 * write would fail), shutdown aborted writes in flight, or DX failed this many times in a row
 * after its retries (it is down). A single refusal or outage only fails its person.
 */
export function stopAfterFailure(failure: WriteFailure, unavailableInARow: number): RunStop | null {
  if (failure.error.code === "lease_lost" || failure.error.code === "store_failed")
    return stopForLease(failure.error);
  if (failure.stop) {
    if (failure.outcome === "pending")
      return {
        status: "interrupted",
        error: {
          code: "interrupted",
          message:
            "shutdown aborted writes still in flight after the drain deadline; their rows stay pending and the next run checks them against DX",
        },
      };
    return {
      status: "failed",
      error: { code: failure.error.code, message: `stopped applying: ${failure.error.message}` },
    };
  }
  if (unavailableInARow >= MAX_CONSECUTIVE_UNAVAILABLE)
    return {
      status: "failed",
      error: {
        code: "dx_unavailable",
        message: `stopped applying: ${MAX_CONSECUTIVE_UNAVAILABLE} writes in a row failed after their retries: ${failure.error.message}`,
      },
    };
  return null;
}

/**
 * The receipt for a write that failed. An unmatched email is remembered with the attributes it
 * was offered (so it is offered again only when they change, or a day later); a write aborted
 * in flight stays `pending`, noting why, for the next run's read-back.
 */
export function receiptForFailure(
  intent: { id: string; email: string; coderUserId: string | null },
  failure: WriteFailure,
  attempts: number,
  at: string,
  offered: Record<string, string | null>,
): ChangeReceipt {
  return {
    changeId: intent.id,
    at,
    outcome: failure.outcome,
    error: failure.error,
    attempts,
    ...(failure.outcome === "pending" ? { note: failure.error.message } : {}),
    ...(failure.outcome === "unmatched"
      ? {
          state: {
            type: "unmatched" as const,
            email: intent.email,
            coderUserId: intent.coderUserId,
            attributes: offered,
          },
        }
      : {}),
  };
}

/** The receipt for a write never sent: the run stopped, or DX already refused this person. */
export function receiptForSkip(changeId: string, at: string, why: ErrorInfo | null): ChangeReceipt {
  return { changeId, at, outcome: "skipped", error: why, attempts: 0 };
}

/**
 * How one person counts in the run, from the receipts of their writes: rejected if DX refused
 * any, unmatched if DX did not know them, applied only if DX took every write; none of these
 * when the run stopped before their writes (skipped) or left them in flight (pending).
 */
export function personOutcome(
  receipts: readonly ChangeReceipt[],
): "applied" | "rejected" | "unmatched" | null {
  if (receipts.some((r) => r.outcome === "rejected")) return "rejected";
  if (receipts.some((r) => r.outcome === "unmatched")) return "unmatched";
  if (receipts.length > 0 && receipts.every((r) => r.outcome === "applied")) return "applied";
  return null;
}

/** The status a run ends with once its writes are done or stopped. */
export function finalStatus(
  counts: Pick<RunCounts, "rejected">,
  stop: RunStop | null,
): FinalRunStatus {
  if (stop) return stop.status;
  return counts.rejected > 0 ? "partial" : "succeeded";
}

/** The receipt for a write DX answered with a 200: applied, or rejected naming what it refused. */
export function receiptForAnswer(
  intent: { id: string; kind: ChangeRow["kind"]; email: string; coderUserId: string | null },
  verdict: WriteVerdict,
  attempts: number,
  at: string,
): ChangeReceipt {
  const confirmed = Object.keys(verdict.confirmed).length > 0;
  const state = confirmed
    ? {
        type: "confirmed" as const,
        email: intent.email,
        coderUserId: intent.coderUserId,
        kind: intent.kind,
        values: verdict.confirmed,
      }
    : undefined;
  if (verdict.refused.length === 0)
    return {
      changeId: intent.id,
      at,
      outcome: "applied",
      error: null,
      attempts,
      ...(state ? { state } : {}),
    };
  const what = intent.kind === "attributes" ? "group" : "property";
  return {
    changeId: intent.id,
    at,
    outcome: "rejected",
    error: {
      code: "dx_rejected",
      message: `DX answered 200 but did not confirm ${verdict.refused
        .map((r) => `${what} "${r.name}" (${r.reason})`)
        .join("; ")}`,
    },
    attempts,
    // What DX did confirm is recorded: the person's state holds only what DX holds.
    ...(state ? { state } : {}),
  };
}
