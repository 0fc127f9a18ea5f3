import type { RequestEvent, Run } from "@coder-dx/core";
import { Counter, Histogram, Registry } from "prom-client";

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
  readonly http = new Counter({
    name: "coder_dx_http_requests_total",
    help: "Requests to this API, by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [this.registry],
  });

  observeUpstream(event: RequestEvent): void {
    this.upstream.inc({ service: event.service, status: String(event.status) });
    this.upstreamLatency.observe({ service: event.service }, event.ms / 1000);
    if (event.waitMs > 0) this.rateWait.inc({ service: event.service }, event.waitMs / 1000);
  }

  observeRun(run: Run): void {
    this.runs.inc({ status: run.status, trigger: run.trigger });
    for (const outcome of [
      "applied",
      "rejected",
      "unmatched",
      "invalid",
      "excluded",
      "unchanged",
    ] as const) {
      if (run.counts[outcome] > 0) this.users.inc({ outcome }, run.counts[outcome]);
    }
    if (run.finishedAt)
      this.runDuration.observe((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
