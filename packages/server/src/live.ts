import { isCoderDxError, type Logger, type SyncStore, toErrorInfo } from "@coder-dx/core";

export interface LiveSchedulerOptions {
  store: Pick<SyncStore, "waitingNotifications">;
  /** Starts a run now; throws `run_in_progress` while any run holds the lease. */
  start(trigger: "hook" | "status"): { done: Promise<{ status: string }> };
  log: Logger;
  /** `live.statusEvery`: how often a status pass runs, or null for never. */
  statusEveryMs: number | null;
  /** A run starts once no notification came for this long… */
  quietMs?: number;
  /** …or this long after the first one: notifications within a second are one run. */
  gatherMs?: number;
  /** While another run holds the lease, how long until the next try (doubling after a failed run). */
  retryMs?: number;
}

/**
 * When Live's runs start. A notification that waits in the store starts a hook run once the
 * copies of its occurrence are in (a short quiet, never more than a second after the first);
 * one arriving during a run is for the next. While another run holds the lease (the CLI, a
 * replica, the schedule) the notifications wait in the store and are tried again; a full run
 * may settle them first. A hook run that failed (Coder unreachable) is retried with a growing
 * wait, never in a tight loop. The status pass runs every `statusEveryMs`, skipped while busy.
 */
export class LiveScheduler {
  private readonly quietMs: number;
  private readonly gatherMs: number;
  private readonly retryMs: number;
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  private running = false;
  private failures = 0;
  private stopped = false;
  private status: NodeJS.Timeout | null = null;

  constructor(private readonly options: LiveSchedulerOptions) {
    this.quietMs = options.quietMs ?? 150;
    this.gatherMs = options.gatherMs ?? 1000;
    this.retryMs = options.retryMs ?? 2000;
    if (options.statusEveryMs !== null) {
      this.status = setInterval(() => this.statusPass(), options.statusEveryMs);
      this.status.unref();
    }
  }

  /** A notification waits: start a run soon. */
  nudge(): void {
    if (this.stopped) return;
    const now = performance.now();
    if (this.timer === null) this.firstAt = now;
    else clearTimeout(this.timer);
    this.later(Math.max(0, Math.min(this.quietMs, this.firstAt + this.gatherMs - now)));
  }

  /** Any run ended: what still waits (arrived during it, or it did not cover) gets its run. */
  runEnded(): void {
    if (!this.running && this.timer === null) this.fire();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.status) clearInterval(this.status);
    this.timer = null;
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, ms);
    this.timer.unref();
  }

  private fire(): void {
    if (this.running || this.stopped) return;
    let waiting: number;
    try {
      waiting = this.options.store.waitingNotifications().length;
    } catch (error) {
      this.options.log.warn("could not read the notifications waiting; trying again", {
        message: toErrorInfo(error).message,
      });
      this.later(this.retryMs);
      return;
    }
    if (waiting === 0) return;
    let started: { done: Promise<{ status: string }> };
    try {
      started = this.options.start("hook");
    } catch (error) {
      if (isCoderDxError(error, "run_in_progress")) {
        this.options.log.info("notifications wait: another run holds the lease", { waiting });
        this.later(this.retryMs);
      } else if (!isCoderDxError(error, "interrupted"))
        this.options.log.error("a hook run did not start", { message: toErrorInfo(error).message });
      return;
    }
    this.running = true;
    void started.done.then(({ status }) => {
      this.running = false;
      this.failures = status === "failed" ? this.failures + 1 : 0;
      if (this.failures > 0) this.later(Math.min(60_000, this.retryMs * 2 ** (this.failures - 1)));
      else this.fire();
    });
  }

  private statusPass(): void {
    if (this.stopped) return;
    try {
      this.options.start("status");
    } catch (error) {
      if (isCoderDxError(error, "run_in_progress"))
        this.options.log.info("status pass skipped: another run holds the lease");
      else if (!isCoderDxError(error, "interrupted"))
        this.options.log.error("a status pass did not start", {
          message: toErrorInfo(error).message,
        });
    }
  }
}
