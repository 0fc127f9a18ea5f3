import { setTimeout as sleep } from "node:timers/promises";
import type { BudgetTerms, Membership } from "../domain/budget-members";
import { toErrorInfo } from "../errors";
import type { Logger } from "../ports";
import { ARRIVAL_ALLOWANCE_MS, perSecondRate, RateBudget, type RequestBudget } from "./rate-budget";

/** Where the account's budget members are kept: the store every coder-dx process shares. */
export interface BudgetRegistry {
  /**
   * `holder` looks at the named budget's members at `now` (epoch ms) and is seen (the rule:
   * `lookAtMembers`). One transaction: two newcomers never both find themselves alone.
   */
  lookAtBudget(name: string, holder: string, now: number, terms: BudgetTerms): Membership;
  /** `holder` sends nothing more; it stays counted until its last requests are out of DX's windows. */
  leaveBudget(name: string, holder: string, now: number): void;
}

/** A member's view of the others is at most this old when one of its requests leaves. */
const NOTICE_MS = 100;
/** Slack for the time between a member's look and its request leaving, and clocks. */
const MARGIN_MS = 100;

/**
 * DX's 1,000 requests a minute are the account's, shared by every integration: one budget for
 * every coder-dx process that shares a store, and for all of a process's DX requests (writes,
 * `users.list` reads, PlatformX events).
 *
 * The processes that use the budget are its members, kept in the store; each keeps to an equal
 * share with its own sliding window (`RateBudget`: requestsPerMinute ÷ members, counted until
 * each answer), so together they never send more than the budget in a window, and neither a
 * `sync` from cron nor `serve` answering notifications starves the other. Alone, a process has
 * the whole budget, bursts included (time a run spends reading Coder is made up after it).
 *
 * - A member looks at the others before each request leaves, unless it looked within
 *   `NOTICE_MS`; a look that finds more members narrows its share at once (a request granted
 *   under the wider share waits again).
 * - A newcomer beside others sends only once they have noticed it and their wider-share
 *   requests have left every window of DX's (about 2.2 s at 600 a minute).
 * - A member not seen for as long has gone: the others widen their shares at their next look.
 *
 * Every process of a store must have the same `dx.requestsPerMinute`. A store that cannot be
 * read leaves the process on its own budget, saying so once.
 */
export class SharedBudget implements RequestBudget {
  private readonly local: RateBudget;
  private members = 1;
  private activeFrom = 0;
  private lookedAt = Number.NEGATIVE_INFINITY;
  private failed = false;

  constructor(
    private readonly registry: BudgetRegistry,
    private readonly requestsPerMinute: number,
    private readonly holder: string,
    private readonly log?: Logger,
    private readonly name = "dx",
  ) {
    this.local = RateBudget.perSecond(requestsPerMinute);
  }

  pauseFor(ms: number): void {
    this.local.pauseFor(ms);
  }

  /** How many processes share the budget, as this one last saw. */
  get sharedBy(): number {
    return this.members;
  }

  async take(signal?: AbortSignal): Promise<() => void> {
    // At most two passes: a look that narrows the share after a grant is fresh for the next.
    for (let pass = 0; ; pass++) {
      this.look();
      const wait = this.activeFrom - Date.now();
      if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined);
      const members = this.members;
      const done = await this.local.take(signal);
      if (pass > 0 || !this.look() || this.members <= members) return done;
      // Granted under a wider share than the others now count on: the turn is spent, unsent.
      done();
    }
  }

  /**
   * This process sends nothing more (it is closing): a process that starts next need not wait
   * for it to make room, and the others widen their shares once its last requests are out of
   * DX's windows.
   */
  leave(): void {
    if (this.failed || this.lookedAt === Number.NEGATIVE_INFINITY) return;
    try {
      this.registry.leaveBudget(this.name, this.holder, Date.now());
    } catch {
      // Its row then goes by itself, a little later.
    }
  }

  /** Looks at the members when the last look is older than `NOTICE_MS`; whether it did. */
  private look(): boolean {
    const now = Date.now();
    if (this.failed || now - this.lookedAt < NOTICE_MS) return false;
    // A request of a member that has gone left within NOTICE_MS of its last look, and reaches
    // DX within the arrival allowance: a share's window later it is in no window of DX's. The
    // same holds for the wider-share requests of members a newcomer joins. (The widest window
    // is a share's among one more member than this process knows of.)
    const window = perSecondRate(this.requestsPerMinute / Math.max(2, this.members + 1)).windowMs;
    const settled = NOTICE_MS + ARRIVAL_ALLOWANCE_MS + window + MARGIN_MS;
    try {
      const seen = this.registry.lookAtBudget(this.name, this.holder, now, {
        activeMs: settled,
        joinDelayMs: settled,
      });
      this.lookedAt = now;
      this.activeFrom = seen.activeFrom;
      if (seen.members !== this.members) {
        this.members = seen.members;
        this.local.setRate(perSecondRate(this.requestsPerMinute / seen.members));
      }
    } catch (error) {
      // The store fails the run at its next write anyway; until then this process keeps to the
      // share it last saw.
      this.failed = true;
      this.log?.warn("the shared DX request budget is unavailable; this process keeps its own", {
        message: toErrorInfo(error).message,
      });
    }
    return true;
  }
}
