import { setTimeout as sleep } from "node:timers/promises";
import { toErrorInfo } from "../errors";
import type { Logger } from "../ports";
import { RateBudget, type RequestBudget } from "./rate-budget";

/** Where the account's timeline is kept: the store every coder-dx process of the account shares. */
export interface BudgetTimeline {
  /**
   * Reserves `count` request slots, `spacingMs` apart, on the named timeline: from `now` or from
   * where the last reservation (any process's) ended, whichever is later. Returns the first
   * slot's time (epoch ms). One transaction: two processes never hold the same slot.
   */
  reserveRequests(name: string, count: number, spacingMs: number, now: number): number;
}

/**
 * DX's 1,000 requests a minute are the account's, shared by every integration: one budget for
 * every coder-dx process that shares a store, and for all of a process's DX requests (writes,
 * `users.list` reads, PlatformX events). Each request takes a slot on the account's timeline in
 * the store, slots `60,000 / requestsPerMinute` ms apart, reserved a few at a time, first come
 * first served: a `sync` from cron and `serve` answering notifications take turns, neither
 * starves, and together they never send more than the budget in a second (plus a slot each).
 * Within the process, the sliding window (`RateBudget`) still counts each request until its
 * answer, as before. A slot left unused past its time is dropped, never spent late.
 */
export class SharedBudget implements RequestBudget {
  private readonly local: RateBudget;
  private readonly spacingMs: number;
  /** At most a quarter second of the budget reserved at once. */
  private readonly maxBatch: number;
  private slots: number[] = [];
  private inFlight = 0;
  private failed = false;

  constructor(
    private readonly timeline: BudgetTimeline,
    requestsPerMinute: number,
    private readonly log?: Logger,
    private readonly name = "dx",
  ) {
    this.local = RateBudget.perSecond(requestsPerMinute);
    this.spacingMs = 60_000 / requestsPerMinute;
    this.maxBatch = Math.max(1, Math.ceil(requestsPerMinute / 240));
  }

  pauseFor(ms: number): void {
    this.local.pauseFor(ms);
  }

  /**
   * This process's sliding window first, then the account's timeline: the slot is reserved
   * when the request is ready to go, so it is spent on time.
   */
  take(signal?: AbortSignal): (() => void) | Promise<() => void> {
    this.inFlight += 1;
    const local = this.local.take(signal);
    const onTimeline = (done: () => void): (() => void) | Promise<() => void> => {
      const finish = () => {
        this.inFlight -= 1;
        done();
      };
      const wait = this.nextSlot() - Date.now();
      if (wait < 1) return finish;
      return sleep(wait, undefined, signal ? { signal } : undefined).then(
        () => finish,
        (error: unknown) => {
          finish();
          throw error;
        },
      );
    };
    if (typeof local === "function") return onTimeline(local);
    return local.then(onTimeline, (error: unknown) => {
      this.inFlight -= 1;
      throw error;
    });
  }

  /** This process's next slot on the account's timeline (epoch ms). */
  private nextSlot(): number {
    const now = Date.now();
    // A slot whose time has passed unused belongs to no one now: spending it late could put two
    // processes' requests in one slot. A timer's usual lateness (a quarter of the spacing, a
    // couple of milliseconds at least) is no such case.
    const late = Math.max(this.spacingMs / 4, 2);
    while (this.slots.length > 0 && (this.slots[0] as number) < now - late) this.slots.shift();
    if (this.slots.length === 0) {
      if (this.failed) return now;
      // As many as the requests in flight suggest the next moments need, a quarter second at most.
      const count = Math.min(this.maxBatch, Math.max(1, this.inFlight * 4));
      try {
        const first = this.timeline.reserveRequests(this.name, count, this.spacingMs, now);
        this.slots = Array.from({ length: count }, (_, i) => first + i * this.spacingMs);
      } catch (error) {
        // A store that cannot reserve fails the run at its next write anyway; until then this
        // process keeps to its own budget.
        this.failed = true;
        this.log?.warn("the shared DX request budget is unavailable; this process keeps its own", {
          message: toErrorInfo(error).message,
        });
        return now;
      }
    }
    return this.slots.shift() as number;
  }
}
