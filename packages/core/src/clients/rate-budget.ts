import { setTimeout as sleep } from "node:timers/promises";

/**
 * When a request reaches the server is only known to lie between sending it and its answer.
 * Counting each request in its window until its answer keeps the server's own count within
 * the budget whatever the connection set-up, jitter or load; the price is the latency, a
 * fraction latency ÷ 1 s of the rate (1% at 10 ms). A request still unanswered after this long
 * counts as arrived, so one that hangs until its timeout cannot stall the budget.
 */
const ARRIVAL_ALLOWANCE_MS = 1000;

interface Slot {
  /** When the request was let go (its reserved time until then). */
  at: number;
  /** When its answer came back, if it has. */
  end: number | null;
}

/**
 * A request budget shared by every request of a run, reads included: at most
 * N = requestsPerMinute / 60 requests in any 1-second window (for budgets under 60/minute,
 * one per 60 000 / requestsPerMinute ms). A sliding window, so time lost while the process was
 * busy is made up, and no fixed-window edge ever allows a double burst.
 */
export class RateBudget {
  private readonly perWindow: number;
  private readonly windowMs: number;
  /** The last `perWindow` requests, oldest at `index` (a ring). */
  private readonly ring: Slot[];
  private index = 0;
  waitedMs = 0;

  constructor(readonly requestsPerMinute: number) {
    this.perWindow = Math.max(1, Math.floor(requestsPerMinute / 60));
    this.windowMs = (this.perWindow * 60_000) / requestsPerMinute;
    this.ring = Array.from({ length: this.perWindow }, () => ({
      at: Number.NEGATIVE_INFINITY,
      end: Number.NEGATIVE_INFINITY,
    }));
  }

  /**
   * Waits until one more request may start, and returns the function to call when its answer
   * (or its failure) arrives.
   */
  async take(): Promise<() => void> {
    const now = performance.now();
    const oldest = this.ring[this.index] as Slot;
    const arrivedBy =
      oldest.end === null
        ? oldest.at + ARRIVAL_ALLOWANCE_MS
        : Math.min(oldest.end, oldest.at + ARRIVAL_ALLOWANCE_MS);
    const slot: Slot = { at: Math.max(now, arrivedBy + this.windowMs), end: null };
    this.ring[this.index] = slot;
    this.index = (this.index + 1) % this.perWindow;
    if (slot.at - now >= 1) {
      await sleep(slot.at - now);
      // A busy process wakes late: the request leaves now, not at its reserved time.
      slot.at = Math.max(slot.at, performance.now());
      this.waitedMs += slot.at - now;
    }
    return () => {
      slot.end = performance.now();
    };
  }
}
