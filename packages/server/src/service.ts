import { setMaxListeners } from "node:events";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Config,
  CoderDxError,
  followedEvents,
  followedKinds,
  isCoderDxError,
  type Logger,
  type Run,
  ProgressMeter,
  type SyncResult,
  startSync,
  valueOrders,
  type SyncDeps,
} from "@coder-dx/core";
import { serve } from "@hono/node-server";
import { Cron } from "croner";
import { createApp } from "./app";
import { groupLookOf } from "./console/look";
import type { ApiToken } from "./auth";
import type { AppDeps, LaunchRequest } from "./context";
import { LiveScheduler, type LiveSchedulerOptions } from "./live";
import type { Metrics } from "./metrics";

export interface ServiceOptions {
  host: string;
  port: number;
  syncDeps: SyncDeps;
  config: Config;
  tokens: readonly ApiToken[];
  metrics: Metrics;
  log: Logger;
  /** A cron expression for scheduled runs, or null. */
  schedule: string | null;
  /** How long shutdown lets a run's writes in flight land before aborting them. */
  drainMs?: number;
  /** The console's cohort chart, computed off the request path (see AppDeps). */
  cohortSeries?: AppDeps["cohortSeries"];
  /** How often pending PlatformX events are sent when no run sends them (default 30 s). */
  platformxEveryMs?: number;
  /** Scheduler timings for tests; production keeps the defaults. */
  live?: Partial<Pick<LiveSchedulerOptions, "quietMs" | "gatherMs" | "retryMs" | "statusEveryMs">>;
}

export interface Service {
  url: string;
  launchRun(request: LaunchRequest): Run;
  /**
   * Stop accepting, stop starting DX writes, let writes in flight land and be recorded; past the
   * drain deadline, abort them (their rows stay pending for the next run) and record the run.
   */
  stop(reason?: string): Promise<void>;
}

export function validateSchedule(expression: string): void {
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (error) {
    throw new CoderDxError(
      "config_invalid",
      `schedule "${expression}": ${(error as Error).message}`,
    );
  }
}

/** The running service: the API, background runs, the schedule, and a graceful stop. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { syncDeps, config, metrics, log } = options;
  const shutdown = new AbortController();
  const abortWrites = new AbortController();
  // Every run's reads and writes in flight listen to them: not a leak.
  setMaxListeners(0, shutdown.signal, abortWrites.signal);
  const inflight = new Set<Promise<void>>();

  let live: LiveScheduler | null = null;
  const start = (request: LaunchRequest): { run: Run; done: Promise<SyncResult["run"]> } => {
    if (shutdown.signal.aborted)
      throw new CoderDxError("interrupted", "the server is shutting down");
    // A long run logs how far it got every 10 s: a JSON line like every other.
    const progress = new ProgressMeter(({ line: _line, ...report }) =>
      log.info("run progress", { runId: started.run.id, ...report }),
    );
    const started = startSync(syncDeps, {
      config,
      ...request,
      signal: shutdown.signal,
      abortSignal: abortWrites.signal,
      onProgress: (p) => progress.update(p),
    });
    log.info("run started", {
      runId: started.run.id,
      trigger: request.trigger,
      dryRun: request.dryRun,
      force: request.force,
    });
    const done = started.done.then(({ run, hints }) => {
      progress.stop();
      metrics.observeRun(run);
      metrics.observeHints(hints);
      log.info("run finished", {
        runId: run.id,
        status: run.status,
        counts: run.counts,
        error: run.error,
        ...(hints.length > 0 ? { notifications: hints.length } : {}),
      });
      live?.runEnded();
      return run;
    });
    const tracked = done.then(() => {});
    inflight.add(tracked);
    void tracked.finally(() => inflight.delete(tracked));
    return { run: started.run, done };
  };
  const launchRun = (request: LaunchRequest): Run => start(request).run;

  if (
    config.live.hookSecret !== null ||
    config.live.statusEvery !== null ||
    options.live?.statusEveryMs
  ) {
    live = new LiveScheduler({
      store: syncDeps.store,
      start: (trigger) => start({ trigger, dryRun: false, force: false, emails: [] }),
      log,
      statusEveryMs: config.live.statusEvery,
      ...options.live,
    });
    // Notifications recorded before a restart (or while another run held the lease) get theirs.
    live.runEnded();
  }

  // Events waiting (DX asked for patience, or a run's sends were cut short) go out on their own.
  const dispatcher = syncDeps.platformx;
  const sendEvents = () => {
    if (!dispatcher || shutdown.signal.aborted) return;
    const sent = dispatcher
      .dispatch({ signal: shutdown.signal, abortSignal: abortWrites.signal })
      .then(() => {});
    inflight.add(sent);
    void sent.finally(() => inflight.delete(sent));
  };
  const eventTimer = dispatcher
    ? setInterval(sendEvents, options.platformxEveryMs ?? 30_000).unref()
    : null;
  sendEvents();

  let cron: Cron | null = null;
  if (options.schedule) {
    validateSchedule(options.schedule);
    cron = new Cron(options.schedule, { protect: true }, () => {
      try {
        launchRun({ trigger: "schedule", dryRun: false, force: false, emails: [] });
      } catch (error) {
        if (isCoderDxError(error, "run_in_progress"))
          log.info("scheduled run skipped: another run holds the lease");
        else log.error("scheduled run did not start", { message: (error as Error).message });
      }
    });
    log.info("schedule set", {
      schedule: options.schedule,
      next: cron.nextRun()?.toISOString() ?? null,
    });
  }

  const app = createApp({
    store: syncDeps.store,
    launchRun,
    tokens: options.tokens,
    metrics,
    log,
    valueOrders: valueOrders(config),
    groupLook: groupLookOf(config),
    config,
    nextRunAt: () => cron?.nextRun()?.toISOString() ?? null,
    scheduleEveryMs: () => {
      const [next, after] = cron?.nextRuns(2) ?? [];
      return next && after ? after.getTime() - next.getTime() : null;
    },
    hookSecret: config.live.hookSecret,
    followedKinds: followedKinds(config),
    platformxEvents: config.platformx.token === null ? null : [...followedEvents(config).values()],
    statusEveryMs: options.live?.statusEveryMs ?? config.live.statusEvery,
    ...(live ? { live } : {}),
    ...(options.cohortSeries ? { cohortSeries: options.cohortSeries } : {}),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () =>
      resolve(s),
    );
    s.once("error", (error: NodeJS.ErrnoException) => {
      cron?.stop();
      const where = `${options.host}:${options.port}`;
      reject(
        new CoderDxError(
          "usage_invalid",
          error.code === "EADDRINUSE"
            ? `${where} is already in use (another coder-dx serve?); choose another with --port`
            : error.code === "EACCES"
              ? `not allowed to listen on ${where}; use a port above 1023`
              : error.code === "EADDRNOTAVAIL"
                ? `${options.host} is not an address of this machine; check --host`
                : `cannot listen on ${where}: ${error.message}`,
        ),
      );
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    launchRun,
    stop: async (reason = "the server is shutting down") => {
      cron?.stop();
      if (eventTimer) clearInterval(eventTimer);
      live?.stop();
      shutdown.abort(reason);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      const settle = (ms: number) =>
        Promise.race([
          Promise.all([...inflight]).then(() => true),
          sleep(ms, false, { ref: false }),
        ]);
      if (!(await settle(options.drainMs ?? 7000))) {
        log.warn(
          "writes still in flight at the drain deadline were aborted; the next run settles them",
        );
        abortWrites.abort();
        // An aborted request rejects at once: the run records its end within moments.
        if (!(await settle(1500)))
          log.error("a run did not record its end; the next run closes it");
      }
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
    },
  };
}
