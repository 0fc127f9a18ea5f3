// @coder-dx/core's public surface: what the CLI, the server, storage and the benchmarks use.
// Internals (how a run applies its writes, the audit rows it builds) stay inside their modules.

// --- Errors and secrets -------------------------------------------------------------------
export {
  CoderDxError,
  type ErrorCode,
  type ErrorInfo,
  isCoderDxError,
  toErrorInfo,
} from "./errors";
export { REDACTED, Redactor, redactingStore } from "./redact";

// --- Configuration --------------------------------------------------------------------------
export * from "./config/schema";
export { describeIssues, interpolateEnv, loadConfigFile, parseConfig } from "./config/load";
export * from "./config/settings";
export { configJsonSchema } from "./config/json-schema";
export { STARTER_CONFIG } from "./config/starter";

// --- The ports: what core needs from outside, and the record's shapes ---------------------
export * from "./ports";

// --- The domain: pure rules over plain data -------------------------------------------------
// Coder and DX as coder-dx reads them.
export * from "./domain/coder-user";
export * from "./domain/dx-user";
export {
  type AttributeValues,
  isEmpty,
  pickValues,
  type PropertyValues,
  sameValues,
} from "./domain/attributes";
// Who a person is in DX, and what they should hold.
export * from "./domain/identity";
export * from "./domain/mapping";
export * from "./domain/holds";
// What changes, and the brakes.
export {
  hasWrite,
  type Plan,
  type PlanAction,
  type PlanCounts,
  type PlanEntry,
  type PlannedWrite,
  planDigest,
  planSync,
  type UserState,
} from "./domain/plan";
export { guardPlan, type Halt } from "./domain/guard";
// Coder's notifications (Live): what each is about; PlatformX's events.
export * from "./domain/notification";
export { describeIssue, nearest, type ZodIssueLike } from "./describe-issue";
export * from "./domain/platformx-events";
export {
  type AccountIndex,
  eventsFromNotifications,
  eventsFromPlan,
  fitMetadata,
  indexAccounts,
  METADATA_LIMIT_BYTES,
  resolveSubject,
} from "./domain/platformx";
// Runs, the audit and the rules every store applies the same way.
export * from "./domain/run";
export * from "./domain/paging";
export * from "./domain/lease";
export * from "./domain/budget-members";
export { stateAfterReceipt } from "./domain/receipt";
export { baselineBefore, type HeldValues, mergeOldestFirst } from "./domain/history";
export {
  humanTime,
  parseTime,
  TIME_PROBLEM,
  type TimeBound,
  timeParameter,
} from "./domain/time";

// --- Coder and DX over HTTP -----------------------------------------------------------------
export {
  CoderClient,
  type CoderClientOptions,
  describeCoderError,
  usageWindow,
} from "./clients/coder-client";
export { DxClient, type DxClientOptions, describeDxError } from "./clients/dx-client";
export { type RequestEvent, type Service } from "./clients/http";
export { RateBudget, type RequestBudget } from "./clients/rate-budget";
export { type BudgetRegistry, SharedBudget } from "./clients/shared-budget";
export {
  PlatformXClient,
  type PlatformXClientOptions,
  type TrackedEvent,
} from "./clients/platformx-client";
export { createDispatcher, type ProxySettings, proxyFromEnv } from "./clients/dispatcher";

// --- Use cases ------------------------------------------------------------------------------
// A run: read → plan → guard → apply → record, under the one-run lease.
export { ABANDONED, runSync, type StartedSync, startSync } from "./sync/start-sync";
export type { SyncDeps, SyncOptions, SyncResult } from "./sync/run-sync";
export {
  type PlanOptions,
  type PreparedPlan,
  type Progress,
  preparePlan,
  scopeOf,
} from "./sync/prepare-plan";
export { readPeople } from "./sync/read-people";
// Live: Coder's notifications into the inbox; the hook runs and status passes they lead to.
export { type Accepted, acceptNotification } from "./sync/accept-notification";
export { STATUS_KINDS } from "./domain/hints";
export { prepareStatusPlan } from "./sync/prepare-plan";
// PlatformX: the events runs record, and the outbox's sender.
export {
  type DispatchResult,
  type DispatchStops,
  followedEvents,
  followedKinds,
  PlatformxDispatcher,
  type PlatformxDeps,
  platformxTokenProblem,
} from "./sync/platformx";
export { currentHolder, holderIsDead, LEASE_TTL_MS } from "./sync/lease";
// Around a run: progress, notifications, the cohort report, a person's history, doctor.
export * from "./sync/progress";
export * from "./sync/notify";
export * from "./sync/report";
export * from "./sync/describe-user";
export * from "./sync/doctor";
