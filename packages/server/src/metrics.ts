import { RUN_STATUSES, type RequestEvent, type Run, type SyncStore } from "@coder-dx/core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const OUTCOMES = ["applied", "rejected", "unmatched", "invalid", "excluded", "unchanged"] as const;

/** Prometheus metrics for one server process; a registry per instance, no globals. */
export class Metrics {
  readonly registry = new Registry();
  private readonly runs = new Counter({
    name: "coder_dx_runs_total",
    help: "Runs finished, by status",
    labelNames: ["status", "trigger"],
    registers: [this.registry],
  });
  private readonly users = new Counter({
    name: "coder_dx_run_users_total",
    help: "Per-user outcomes of finished runs (applied, rejected, unmatched, invalid, excluded, unchanged)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  private readonly runDuration = new Histogram({
    name: "coder_dx_run_duration_seconds",
    help: "Run wall time",
    buckets: [1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  private readonly upstream = new Counter({
    name: "coder_dx_upstream_requests_total",
    help: "Requests to Coder and DX, by service and status",
    labelNames: ["service", "status"],
    registers: [this.registry],
  });
  private readonly upstreamLatency = new Histogram({
    name: "coder_dx_upstream_request_duration_seconds",
    help: "Latency of requests to Coder and DX",
    labelNames: ["service"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly rateWait = new Counter({
    name: "coder_dx_rate_limit_wait_seconds_total",
    help: "Time requests waited for the client-side request budget",
    labelNames: ["service"],
    registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: "coder_dx_notifications_total",
    help: "Coder's notifications received, by name and result (waiting, ignored, duplicate, malformed, unrecorded)",
    labelNames: ["name", "result"],
    registers: [this.registry],
  });
  private readonly hookLatency = new Histogram({
    name: "coder_dx_notification_to_dx_seconds",
    help: "From a notification's receipt to DX's confirmation of the write it led to",
    buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly http = new Counter({
    name: "coder_dx_http_requests_total",
    help: "Requests to this API, by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [this.registry],
  });

  /**
   * What must survive a restart, read from the store at each scrape: when the last real run
   * finished and how, its per-outcome counts, and the last success (the alert's input:
   * `time() - coder_dx_last_success_timestamp_seconds > 26 * 3600`).
   */
  readStore(store: Pick<SyncStore, "lastFinishedRun" | "eventCounts">): this {
    new Gauge({
      name: "coder_dx_platformx_events",
      help: "PlatformX events in the outbox, by name and outcome (sent, rejected, invalid, pending, unknown)",
      labelNames: ["name", "outcome"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { name, outcome, count } of store.eventCounts())
          this.set({ name, outcome }, count);
      },
    });
    const seconds = (run: Run | null) => (run?.finishedAt ? Date.parse(run.finishedAt) / 1000 : 0);
    new Gauge({
      name: "coder_dx_last_run_timestamp_seconds",
      help: "When the last real (not dry) run finished; 0 before the first",
      registers: [this.registry],
      collect() {
        this.set(seconds(store.lastFinishedRun()));
      },
    });
    new Gauge({
      name: "coder_dx_last_success_timestamp_seconds",
      help: "When the last real run that succeeded finished; 0 before the first",
      registers: [this.registry],
      collect() {
        this.set(seconds(store.lastFinishedRun("succeeded")));
      },
    });
    new Gauge({
      name: "coder_dx_last_run_status",
      help: "1 for the status of the last real run, 0 for the others",
      labelNames: ["status"],
      registers: [this.registry],
      collect() {
        const status = store.lastFinishedRun()?.status;
        for (const s of RUN_STATUSES) this.set({ status: s }, s === status ? 1 : 0);
      },
    });
    new Gauge({
      name: "coder_dx_last_run_users",
      help: "Per-user outcomes of the last real run",
      labelNames: ["outcome"],
      registers: [this.registry],
      collect() {
        const run = store.lastFinishedRun();
        for (const outcome of OUTCOMES) this.set({ outcome }, run?.counts[outcome] ?? 0);
      },
    });
    return this;
  }

  observeUpstream(event: RequestEvent): void {
    this.upstream.inc({ service: event.service, status: String(event.status) });
    this.upstreamLatency.observe({ service: event.service }, event.ms / 1000);
    if (event.waitMs > 0) this.rateWait.inc({ service: event.service }, event.waitMs / 1000);
  }

  observeRun(run: Run): void {
    this.runs.inc({ status: run.status, trigger: run.trigger });
    for (const outcome of OUTCOMES) {
      if (run.counts[outcome] > 0) this.users.inc({ outcome }, run.counts[outcome]);
    }
    if (run.finishedAt)
      this.runDuration.observe((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
  }

  /** A notification received; `name` null when the body was not Coder's. */
  observeNotification(name: string | null, result: string): void {
    this.notifications.inc({ name: name ?? "(unreadable)", result });
  }

  /** What a run made of the notifications it settled: the receipt → DX confirmation time. */
  observeHints(hints: readonly { receivedAt: string; confirmedAt: string | null }[]): void {
    for (const hint of hints)
      if (hint.confirmedAt)
        this.hookLatency.observe(
          (Date.parse(hint.confirmedAt) - Date.parse(hint.receivedAt)) / 1000,
        );
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
