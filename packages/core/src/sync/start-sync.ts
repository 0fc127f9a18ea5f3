import { setMaxListeners } from "node:events";
import { CoderDxError, toErrorInfo } from "../errors";
import { type Logger, type Run, silentLogger, systemClock } from "../ports";
import { currentHolder, holderIsDead, LEASE_TTL_MS, LeaseKeeper } from "./lease";
import { scopeOf } from "./prepare-plan";
import { executeRun, type SyncDeps, type SyncOptions, type SyncResult } from "./run-sync";

export interface StartedSync {
  run: Run;
  /** Never rejects: every failure ends as a recorded (or, if the store is gone, reported) run. */
  done: Promise<SyncResult>;
}

export const ABANDONED = {
  code: "abandoned" as const,
  message:
    "abandoned: the process running it stopped before finishing (killed, crashed or lost its lease); the run that closed it settles its unanswered writes from DX's read-back",
};

/**
 * Takes the lease and records the run synchronously (so a caller can answer 202 with it or 409
 * at once), closes runs whose holders died, then does the work in the background.
 * Throws only before the run exists: `run_in_progress`, or a store that cannot start it.
 */
export function startSync(deps: SyncDeps, options: SyncOptions): StartedSync {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLogger;
  const holder = deps.leaseHolder ?? currentHolder();
  const ttlMs = deps.leaseTtlMs ?? LEASE_TTL_MS;
  if (!store.acquireLease(holder, clock.now().getTime(), ttlMs, holderIsDead)) {
    throw new CoderDxError(
      "run_in_progress",
      "another coder-dx run holds this database's lease; try again when it ends",
    );
  }
  const scope = scopeOf(options.emails);
  let run: Run;
  try {
    for (const closed of store.closeAbandonedRuns(clock.now().toISOString(), ABANDONED)) {
      log.warn("closed an abandoned run", { runId: closed.id });
    }
    run = store.startRun({
      trigger: options.trigger,
      dryRun: options.dryRun ?? false,
      // A hook run writes a few people: like `--email`, it is never the brakes' baseline.
      scoped: scope !== null || options.trigger === "hook",
      startedAt: clock.now().toISOString(),
    });
  } catch (error) {
    try {
      store.releaseLease(holder);
    } catch {
      // It expires; the store's own error is the one to report.
    }
    throw error;
  }

  // One stop for the run: the caller's signal, or the lease lost under it.
  const stop = new AbortController();
  // Every read and write in flight listens to it (a few dozen at once): not a leak.
  setMaxListeners(0, stop.signal);
  const forward = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  else options.signal?.addEventListener("abort", forward, { once: true });
  const keeper = new LeaseKeeper(store, holder, clock, (lost) => stop.abort(lost.message), ttlMs);

  const execute = async (): Promise<SyncResult> => {
    try {
      return await executeRun({
        deps,
        options,
        scope,
        run,
        clock,
        log,
        stopSignal: stop.signal,
        leaseCheck: () => keeper.check(),
      });
    } catch (error) {
      // executeRun does not throw; this is the last line of "done never rejects".
      const info = toErrorInfo(error);
      log.error("run ended unexpectedly", { runId: run.id, message: info.message });
      return {
        run: { ...run, status: "failed", finishedAt: clock.now().toISOString(), error: info },
        plan: null,
        halts: [],
        hints: [],
      };
    } finally {
      options.signal?.removeEventListener("abort", forward);
    }
  };
  const done = (async (): Promise<SyncResult> => {
    const result = await execute();
    try {
      pruneAfterRun(deps, options, result.run, clock, log);
    } finally {
      keeper.release();
    }
    // After the lease: a slow webhook or PlatformX never holds up the next run.
    await deps.platformx?.dispatch({ signal: options.signal, abortSignal: options.abortSignal });
    await deps.notifier?.notify(result.run, options.abortSignal).catch((error: unknown) => {
      log.warn("notifications failed", { runId: run.id, message: toErrorInfo(error).message });
    });
    return result;
  })();
  return { run, done };
}

/**
 * Audit retention (`retention.days`): after each real run, rows older than that go. A prune
 * that fails is reported and left for the next run; it never changes the run's outcome.
 */
function pruneAfterRun(
  deps: SyncDeps,
  options: SyncOptions,
  run: Run,
  clock: { now(): Date },
  log: { info: Logger["info"]; warn: Logger["warn"] },
): void {
  const days = options.config.retention.days;
  if (days === null || run.dryRun) return;
  const before = new Date(clock.now().getTime() - days * 86_400_000).toISOString();
  try {
    const pruned = deps.store.prune(before);
    if (pruned.changes + pruned.runs + pruned.deliveries > 0) {
      log.info("pruned history past retention", { before, ...pruned });
    }
  } catch (error) {
    log.warn("could not prune history", { before, message: toErrorInfo(error).message });
  }
}

export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  return startSync(deps, options).done;
}
