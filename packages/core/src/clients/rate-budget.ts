import { setTimeout as sleep } from "node:timers/promises";

/**
 * A request budget shared by every request of a run: requests start at least
 * 60 000 / requestsPerMinute ms apart. Even spacing (rather than a fixed-window
 * counter, which allows double the rate across a window edge) means no window of
 * any length ever holds more than its share, which is what DX's sliding-window
 * account limit counts.
 */
/**
 * Requests leave evenly spaced but can arrive bunched (a delayed one catches up with the next);
 * 2% more spacing absorbs ~20 ms of jitter per second so the server never counts a burst.
 */
const HEADROOM = 1.02;

export class RateBudget {
  private readonly spacingMs: number;
  private next = 0;
  waitedMs = 0;

  constructor(readonly requestsPerMinute: number) {
    this.spacingMs = (60_000 / requestsPerMinute) * HEADROOM;
  }

  /** Resolves when the caller may start one request, with how long it waited (ms). */
  async take(): Promise<number> {
    const now = performance.now();
    const slot = Math.max(now, this.next);
    this.next = slot + this.spacingMs;
    const wait = slot - now;
    if (wait >= 1) {
      this.waitedMs += wait;
      await sleep(wait);
      return wait;
    }
    return 0;
  }
}
