import { z } from "zod";

/**
 * The names of the contract, defined once: storage checks them (CHECK constraints), the server
 * publishes them (OpenAPI), the CLI prints them. `interrupted`: stopped by a signal or a lost
 * lease; what landed is recorded, the next run finishes the job.
 */
export const RUN_STATUSES = [
  "running",
  "succeeded",
  "partial",
  "failed",
  "halted",
  "interrupted",
] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;
export type FinalRunStatus = Exclude<RunStatus, "running">;

/**
 * What started a run: the CLI, the API, the schedule, the web console, a Coder notification
 * (`hook`: the people it names, status only) or the periodic status pass (`status`).
 */
export const RUN_TRIGGERS = ["cli", "api", "schedule", "console", "hook", "status"] as const;
export const RunTrigger = z.enum(RUN_TRIGGERS);
export type RunTrigger = z.infer<typeof RunTrigger>;

export const CHANGE_KINDS = ["attributes", "properties"] as const;
export const ChangeKind = z.enum(CHANGE_KINDS);
export type ChangeKind = z.infer<typeof ChangeKind>;

export const CHANGE_OUTCOMES = [
  "applied",
  "rejected",
  "unmatched",
  "planned",
  "invalid",
  "pending",
  "skipped",
] as const;
export const ChangeOutcome = z.enum(CHANGE_OUTCOMES);
export type ChangeOutcome = z.infer<typeof ChangeOutcome>;

export const DELIVERY_OUTCOMES = ["delivered", "failed"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export const RunCounts = z.object({
  /**
   * Everyone considered: each Coder account, and each person DX holds without one.
   * `users = unchanged + changed + invalid + excluded + merged`.
   */
  users: z.number().int(),
  unchanged: z.number().int(),
  /** People with a planned write. */
  changed: z.number().int(),
  /** People whose writes DX accepted / refused. */
  applied: z.number().int(),
  rejected: z.number().int(),
  invalid: z.number().int(),
  excluded: z.number().int(),
  /** Coder accounts folded into another's person (two accounts, one email). */
  merged: z.number().int(),
  /** People DX does not know (absent from users.list, and refused). */
  unmatched: z.number().int(),
  drift: z.number().int(),
});
export type RunCounts = z.infer<typeof RunCounts>;

export function emptyRunCounts(): RunCounts {
  return {
    users: 0,
    unchanged: 0,
    changed: 0,
    applied: 0,
    rejected: 0,
    invalid: 0,
    excluded: 0,
    merged: 0,
    unmatched: 0,
    drift: 0,
  };
}

/**
 * A set of runs, described as data so that every store applies the same rule: the memory store
 * with `matchesRun`, the SQL stores by rendering it (storage's `runWhere`).
 */
export interface RunFilter {
  statuses?: readonly RunStatus[];
  triggers?: readonly RunTrigger[];
  dryRun?: boolean;
  scoped?: boolean;
  finished?: boolean;
}

/**
 * The runs the source-shrink brake compares with: complete (succeeded or partial), real, over
 * everyone. A dry run changed nothing, a scoped one listed a handful, a failed one may have
 * listed part of Coder.
 */
export const BASELINE_RUN: RunFilter = {
  statuses: ["succeeded", "partial"],
  dryRun: false,
  scoped: false,
};
/**
 * The runs that bring all of DX up to date (usage included): not a hook run for a few people,
 * nor a status pass.
 */
export const FULL_RUN_TRIGGERS: readonly RunTrigger[] = ["cli", "api", "schedule", "console"];
/**
 * What /metrics calls the last run: the newest finished real full run (a dry run is a preview;
 * a status pass or a hook run keeps status fresh, not usage).
 */
export const LAST_REAL_RUN: RunFilter = {
  dryRun: false,
  finished: true,
  triggers: FULL_RUN_TRIGGERS,
};
/** What the alert reads: the newest real full run that succeeded. */
export const LAST_SUCCESS_RUN: RunFilter = {
  statuses: ["succeeded"],
  dryRun: false,
  triggers: FULL_RUN_TRIGGERS,
};
/**
 * A prune never removes the newest run of each of these, however old: the brakes and the
 * metrics read them.
 */
export const RUNS_PRUNE_KEEPS: readonly RunFilter[] = [
  BASELINE_RUN,
  LAST_SUCCESS_RUN,
  LAST_REAL_RUN,
];

export function matchesRun(
  run: {
    status: RunStatus;
    trigger: RunTrigger;
    dryRun: boolean;
    scoped: boolean;
    finishedAt: string | null;
  },
  filter: RunFilter,
): boolean {
  return (
    (filter.statuses === undefined || filter.statuses.includes(run.status)) &&
    (filter.triggers === undefined || filter.triggers.includes(run.trigger)) &&
    (filter.dryRun === undefined || run.dryRun === filter.dryRun) &&
    (filter.scoped === undefined || run.scoped === filter.scoped) &&
    (filter.finished === undefined || (run.finishedAt !== null) === filter.finished)
  );
}

/** `LAST_REAL_RUN`, narrowed to one status when given. */
export function lastRealRunFilter(status?: RunStatus): RunFilter {
  return status === undefined ? LAST_REAL_RUN : { ...LAST_REAL_RUN, statuses: [status] };
}
