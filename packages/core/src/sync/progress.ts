import type { Progress } from "./prepare-plan";

export interface ProgressReport {
  phase: Progress["phase"];
  done: number;
  total: number;
  /** Items per second since the phase began. */
  perSecond: number;
  /** Seconds left at that rate; null before there is a rate. */
  etaSeconds: number | null;
  /** `apply 12,400/100,000 · 9.8/s · eta 2h29m` */
  line: string;
}

/**
 * Turns a run's progress into one report every `intervalMs` of a phase, for readers that are
 * not a terminal (a log file, journald, a CI job): a long apply says how far it got and how
 * long it has left instead of staying silent for hours, and a phase that waits (a 429 pause, a
 * slow page) still reports. A phase shorter than the interval says nothing.
 */
export class ProgressMeter {
  private latest: Progress | null = null;
  private phaseStart = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly report: (report: ProgressReport) => void,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(progress: Progress): void {
    if (progress.phase !== this.latest?.phase) {
      this.phaseStart = this.now();
      if (progress.phase === "done") this.stop();
      else this.start();
    }
    this.latest = progress;
  }

  /** Reports the latest progress; called by the meter's own timer. */
  tick(): void {
    if (this.latest && this.latest.phase !== "done") {
      this.report(describeProgress(this.latest, this.now() - this.phaseStart));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private start(): void {
    this.stop();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }
}

export function describeProgress(progress: Progress, elapsedMs: number): ProgressReport {
  const { phase, done, total } = progress;
  const perSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const etaSeconds = perSecond > 0 ? Math.ceil((total - done) / perSecond) : null;
  const count = (n: number) => n.toLocaleString("en-US");
  const rate = perSecond < 10 ? perSecond.toFixed(1) : count(Math.round(perSecond));
  const line = `${phase} ${count(done)}/${count(total)} · ${rate}/s · eta ${etaSeconds === null ? "unknown" : formatSeconds(etaSeconds)}`;
  return { phase, done, total, perSecond, etaSeconds, line };
}

/** `45s`, `12m05s`, `2h29m` */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}
