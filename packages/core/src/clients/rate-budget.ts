import { setTimeout as sleep } from "node:timers/promises";

/**
 * When a request reaches the server is only known to lie between sending it and its answer.
 * Counting each request in its window until its answer keeps the server's own count within
 * the budget whatever the connection set-up, jitter or load; the price is the latency, a
 * fraction latency ÷ window of the rate (1% at 10 ms on a 1-second window). A request still
 * unanswered after this long counts as arrived, so one that hangs until its timeout cannot
 * stall the budget.
 */
export const ARRIVAL_ALLOWANCE_MS = 1000;

interface Slot {
  /** When the request was let go (its reserved time until then). */
  at: number;
  /** When its answer came back, if it has. */
  end: number | null;
  /** Resolves when `end` is set. */
  ended: Promise<void>;
  markEnded: () => void;
}

function newSlot(at: number, end: number | null): Slot {
  let markEnded = () => {};
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  const slot: Slot = { at, end, ended, markEnded: () => {} };
  slot.markEnded = () => {
    slot.end ??= performance.now();
    markEnded();
  };
  return slot;
}

/** What an HTTP client asks of a budget: a turn to send, and a pause for everyone (a 429). */
export interface RequestBudget {
  /** Waits for a turn; returns what to call when the answer (or the failure) arrives. */
  take(signal?: AbortSignal): (() => void) | Promise<() => void>;
  /** Holds every request back until `ms` from now. */
  pauseFor(ms: number): void;
}

export interface RateBudgetOptions {
  /** At most this many requests… */
  limit: number;
  /** …in any window of this many milliseconds. */
  windowMs: number;
}

/** requestsPerMinute ÷ 60 in a second (under 60 a minute: one per 60 000 ÷ rpm ms). */
export function perSecondRate(requestsPerMinute: number): RateBudgetOptions {
  const limit = Math.max(1, Math.floor(requestsPerMinute / 60));
  return { limit, windowMs: (limit * 60_000) / requestsPerMinute };
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
export class RateBudget implements RequestBudget {
  /** The last `capacity` requests, oldest at `index` (a ring). */
  private readonly ring: Slot[];
  private readonly capacity: number;
  private index = 0;
  private pausedUntil = 0;
  private limit: number;
  private windowMs: number;
  waitedMs = 0;

  constructor({ limit, windowMs }: RateBudgetOptions) {
    this.capacity = Math.max(1, Math.floor(limit));
    this.limit = this.capacity;
    this.windowMs = windowMs;
    this.ring = Array.from({ length: this.capacity }, () =>
      newSlot(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY),
    );
  }

  /**
   * The budget for the requests that take a turn from now on: `limit` (at most the one it was
   * made with) in any window of `windowMs` (a share of the account's budget, `SharedBudget`).
   * The sliding window holds across the change: a request waits for the one `limit` places
   * before it, whenever that one went.
   */
  setRate({ limit, windowMs }: RateBudgetOptions): void {
    this.limit = Math.min(this.capacity, Math.max(1, Math.floor(limit)));
    this.windowMs = windowMs;
  }

  /** requestsPerMinute ÷ 60 per second (for budgets under 60/minute, one per 60 000 ÷ rpm ms). */
  static perSecond(requestsPerMinute: number): RateBudget {
    return new RateBudget(perSecondRate(requestsPerMinute));
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
   * (or its failure) arrives. A request starts a window after the answer of the one `limit`
   * places before it in line: when that one has not been answered yet (it may itself still be
   * waiting for its turn), this one waits for that answer, not for a guess at it. Guessing (as
   * "sent, and answered within the arrival allowance") made every window of a saturated budget
   * last two: half the rate.
   */
  take(signal?: AbortSignal): (() => void) | Promise<() => void> {
    const now = performance.now();
    const before = this.ring[(this.index + this.capacity - this.limit) % this.capacity] as Slot;
    const slot = newSlot(Number.POSITIVE_INFINITY, null);
    this.ring[this.index] = slot;
    this.index = (this.index + 1) % this.capacity;
    const done = () => slot.markEnded();
    // Nothing to wait for (the usual case): no promise, no trip through the event loop.
    if (this.arrived(before, now)) {
      slot.at = Math.max(now, this.arrivedBy(before) + this.windowMs, this.pausedUntil);
      if (slot.at - now < 1) {
        slot.at = now;
        return done;
      }
    }
    return this.wait(slot, before, now, signal).then(
      () => done,
      (error: unknown) => {
        // It never left: the requests after it need not wait for it.
        slot.at = performance.now();
        done();
        throw error;
      },
    );
  }

  /** Whether `slot`'s request has been answered, or left long enough ago to count as arrived. */
  private arrived(slot: Slot, now: number): boolean {
    return slot.end !== null || now >= slot.at + ARRIVAL_ALLOWANCE_MS;
  }

  private arrivedBy(slot: Slot): number {
    return slot.end === null
      ? slot.at + ARRIVAL_ALLOWANCE_MS
      : Math.min(slot.end, slot.at + ARRIVAL_ALLOWANCE_MS);
  }

  private async wait(
    slot: Slot,
    before: Slot,
    asked: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const options = signal ? { signal } : undefined;
    // The request `limit` places before: its answer, or its arrival allowance running out.
    while (!this.arrived(before, performance.now())) {
      const allowance = before.at + ARRIVAL_ALLOWANCE_MS - performance.now();
      const timer = Number.isFinite(allowance)
        ? sleep(Math.max(1, allowance), undefined, options)
        : new Promise<void>(() => {});
      await Promise.race([before.ended, timer]);
      signal?.throwIfAborted();
    }
    slot.at = Math.max(performance.now(), this.arrivedBy(before) + this.windowMs, this.pausedUntil);
    // A pause that starts while this request waits holds it too: at most two waits.
    for (let wait = 0; wait < 2 && slot.at - performance.now() >= 1; wait++) {
      await sleep(slot.at - performance.now(), undefined, options);
      slot.at = Math.max(slot.at, this.pausedUntil);
    }
    // A busy process wakes late: the request leaves now, not at its reserved time.
    slot.at = Math.max(slot.at, performance.now());
    this.waitedMs += slot.at - asked;
  }
}
