import { setTimeout as sleep } from "node:timers/promises";

/**
 * When a request reaches the server is only known to lie between sending it and its answer.
 * Counting each request in its window until its answer keeps the server's own count within
 * the budget whatever the connection set-up, jitter or load; the price is the latency, a
 * fraction latency ÷ window of the rate (1% at 10 ms on a 1-second window). A request still
 * unanswered after this long counts as arrived, so one that hangs until its timeout cannot
 * stall the budget.
 */
const ARRIVAL_ALLOWANCE_MS = 1000;

interface Slot {
  /** When the request was let go (its reserved time until then). */
  at: number;
  /** When its answer came back, if it has. */
  end: number | null;
}

export interface RateBudgetOptions {
  /** At most this many requests… */
  limit: number;
  /** …in any window of this many milliseconds. */
  windowMs: number;
}

/**
 * A request budget shared by every request of a client, reads included: at most `limit`
 * requests in any sliding window of `windowMs`. A sliding window, so time lost while the
 * process was busy is made up, and no fixed-window edge ever allows a double burst.
 *
 * - DX counts its 1000/minute over a sliding window shared with other integrations, and a
 *   burst of a minute's allowance would be unkind to them: DX gets `perSecond()`, at most
 *   requestsPerMinute ÷ 60 in any second.
 * - Coder limits each endpoint per minute (go-chi/httprate, a sliding window; reference/coder
 *   §5): Coder gets `perMinute()`, a minute's allowance that may be spent at once (a burst)
 *   but never more than requestsPerMinute in any minute.
 *
 * `pauseFor` holds every request of the client back (a 429 storm pauses all workers together).
 */
export class RateBudget {
  /** The last `limit` requests, oldest at `index` (a ring). */
  private readonly ring: Slot[];
  private index = 0;
  private pausedUntil = 0;
  readonly limit: number;
  readonly windowMs: number;
  waitedMs = 0;

  constructor({ limit, windowMs }: RateBudgetOptions) {
    this.limit = Math.max(1, Math.floor(limit));
    this.windowMs = windowMs;
    this.ring = Array.from({ length: this.limit }, () => ({
      at: Number.NEGATIVE_INFINITY,
      end: Number.NEGATIVE_INFINITY,
    }));
  }

  /** requestsPerMinute ÷ 60 per second (for budgets under 60/minute, one per 60 000 ÷ rpm ms). */
  static perSecond(requestsPerMinute: number): RateBudget {
    const limit = Math.max(1, Math.floor(requestsPerMinute / 60));
    return new RateBudget({ limit, windowMs: (limit * 60_000) / requestsPerMinute });
  }

  /** requestsPerMinute in any minute, which may be spent at once. */
  static perMinute(requestsPerMinute: number): RateBudget {
    return new RateBudget({ limit: requestsPerMinute, windowMs: 60_000 });
  }

  /** Holds every request back until `ms` from now (never shortens a longer pause). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
  }

  /**
   * Waits until one more request may start, and returns the function to call when its answer
   * (or its failure) arrives.
   */
  take(signal?: AbortSignal): (() => void) | Promise<() => void> {
    const now = performance.now();
    const oldest = this.ring[this.index] as Slot;
    const arrivedBy =
      oldest.end === null
        ? oldest.at + ARRIVAL_ALLOWANCE_MS
        : Math.min(oldest.end, oldest.at + ARRIVAL_ALLOWANCE_MS);
    const slot: Slot = {
      at: Math.max(now, arrivedBy + this.windowMs, this.pausedUntil),
      end: null,
    };
    this.ring[this.index] = slot;
    this.index = (this.index + 1) % this.limit;
    const done = () => {
      slot.end = performance.now();
    };
    // Nothing to wait for (the usual case): no promise, no trip through the event loop.
    if (slot.at - now < 1) return done;
    return this.wait(slot, now, signal).then(() => done);
  }

  private async wait(slot: Slot, now: number, signal: AbortSignal | undefined): Promise<void> {
    // A pause that starts while this request waits holds it too: at most two waits.
    for (let wait = 0; wait < 2 && slot.at - performance.now() >= 1; wait++) {
      await sleep(slot.at - performance.now(), undefined, signal ? { signal } : undefined);
      slot.at = Math.max(slot.at, this.pausedUntil);
    }
    // A busy process wakes late: the request leaves now, not at its reserved time.
    slot.at = Math.max(slot.at, performance.now());
    this.waitedMs += slot.at - now;
  }
}
