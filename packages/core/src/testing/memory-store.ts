import { baselineBefore, type HeldValues, mergeOldestFirst } from "../domain/history";
import type { HoldUpdate, Holds } from "../domain/holds";
import type { UserState } from "../domain/plan";
import { stateAfterReceipt } from "../domain/receipt";
import { mayTakeLease } from "../domain/lease";
import {
  type BudgetMember,
  type BudgetTerms,
  lookAtMembers,
  type Membership,
} from "../domain/budget-members";
import { matchesSearch, offsetPageOf, pageOf, parseCursor, parseRowId } from "../domain/paging";
import {
  BASELINE_RUN,
  emptyRunCounts,
  lastRealRunFilter,
  matchesRun,
  type RunFilter,
  RUNS_PRUNE_KEEPS,
  type RunStatus,
} from "../domain/run";
import type { EventOutcome } from "../domain/platformx-events";
import { CoderDxError, type ErrorInfo } from "../errors";
import type {
  ChangeJournal,
  ChangeQuery,
  ChangeReceipt,
  ChangeRow,
  Delivery,
  NewDelivery,
  EventQuery,
  NewEvent,
  NewNotification,
  Notification,
  NotificationSettlement,
  PlatformxEvent,
  Pruned,
  FinishRun,
  NewChange,
  Page,
  PeopleQuery,
  Run,
  StartRun,
  SyncStore,
} from "../ports";

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * The in-memory twin of the SQLite store; passes the same contract suite. `failNext` makes the
 * next calls of a method throw the store's error, for tests of what a run does when its store
 * fails (a full disk, a lock held too long).
 */
export class MemorySyncStore implements SyncStore {
  private runs: Run[] = [];
  private changes: ChangeRow[] = [];
  private adoptions: HeldValues[] = [];
  private changeById = new Map<string, ChangeRow>();
  private deliveries: Delivery[] = [];
  private notifications: Notification[] = [];
  private events: PlatformxEvent[] = [];
  private budgets = new Map<string, BudgetMember[]>();
  private holds = new Map<string, Record<string, string>>();
  private lastIds = { run: 0, change: 0, delivery: 0, notification: 0, event: 0 };
  private states = new Map<string, UserState>();
  private lease: { holder: string; expiresAt: number } | null = null;
  private failures = new Map<string, { after: number; times: number }>();
  private closed = false;
  /** Set to make `assertIntact` fail, as when the database file is deleted under a run. */
  broken: string | null = null;
  /**
   * Set to give runs a journal that commits each call on a later turn of the event loop, in
   * order, as the SQLite journal's worker thread does (`failNext` applies to its calls too).
   */
  deferredJournal = false;

  /** The next `times` calls of `method` (after `after` successful ones) throw `store_failed`. */
  failNext(method: keyof SyncStore, options: { after?: number; times?: number } = {}): void {
    this.failures.set(method, { after: options.after ?? 0, times: options.times ?? 1 });
  }

  private maybeFail(method: keyof SyncStore): void {
    if (this.closed) throw new CoderDxError("store_failed", "memory store: closed");
    const failure = this.failures.get(method);
    if (!failure) return;
    if (failure.after > 0) {
      failure.after -= 1;
      return;
    }
    if (failure.times <= 0) return;
    failure.times -= 1;
    throw new CoderDxError("store_failed", `memory store: ${method} failed (injected)`);
  }

  startRun(input: StartRun): Run {
    this.maybeFail("startRun");
    const run: Run = {
      id: String(++this.lastIds.run),
      status: "running",
      finishedAt: null,
      error: null,
      counts: emptyRunCounts(),
      sourceCount: null,
      ...input,
    };
    this.runs.push(run);
    return clone(run);
  }

  finishRun(id: string, result: FinishRun): Run {
    this.maybeFail("finishRun");
    const run = this.runs.find((r) => r.id === id);
    if (!run) throw new Error(`no run ${id}`);
    Object.assign(run, clone(result));
    return clone(run);
  }

  getRun(id: string): Run | null {
    const key = parseRowId(id);
    const run = this.runs.find((r) => Number(r.id) === key);
    return run ? clone(run) : null;
  }

  listRuns({ limit, cursor }: { limit: number; cursor?: string | undefined }): Page<Run> {
    const before = parseCursor(cursor);
    const newest = this.runs.filter((r) => before === undefined || Number(r.id) < before);
    return pageOf(clone(newest.slice(-limit - 1).reverse()), limit);
  }

  /** The newest run `filter` matches. */
  private newest(filter: RunFilter): Run | undefined {
    return this.runs.findLast((r) => matchesRun(r, filter));
  }

  lastFinishedRun(status?: RunStatus): Run | null {
    const run = this.newest(lastRealRunFilter(status));
    return run ? clone(run) : null;
  }

  lastSourceCount(): number | null {
    return this.newest(BASELINE_RUN)?.sourceCount ?? null;
  }

  closeAbandonedRuns(at: string, error: ErrorInfo): Run[] {
    this.maybeFail("closeAbandonedRuns");
    const closed: Run[] = [];
    for (const run of this.runs) {
      if (run.status !== "running") continue;
      Object.assign(run, { status: "failed", finishedAt: at, error: clone(error) });
      closed.push(clone(run));
    }
    return closed;
  }

  listPendingChanges(exceptRunId: string): ChangeRow[] {
    return clone(this.changes.filter((c) => c.outcome === "pending" && c.runId !== exceptRunId));
  }

  loadUserStates(): Map<string, UserState> {
    this.maybeFail("loadUserStates");
    return new Map([...this.states].map(([k, v]) => [k, clone(v)]));
  }

  getUserState(email: string): UserState | null {
    const state = this.states.get(email);
    return state ? clone(state) : null;
  }

  rememberUsernames(people: readonly { email: string; username: string }[]): void {
    this.maybeFail("rememberUsernames");
    for (const { email, username } of people) {
      const state = this.states.get(email);
      if (state) state.username = username;
    }
  }

  listPeople(query: PeopleQuery): Page<UserState> {
    const offset = parseCursor(query.cursor) ?? 0;
    const matches = [...this.states.values()]
      .filter(
        (s) =>
          matchesSearch(s, query.search) &&
          (query.group === undefined || s.attributes[query.group] === query.value),
      )
      .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    return offsetPageOf(
      clone(matches.slice(offset, offset + query.limit + 1)),
      offset,
      query.limit,
    );
  }

  adoptUserStates(states: UserState[]): void {
    this.maybeFail("adoptUserStates");
    for (const state of states) {
      this.states.set(state.email, clone(state));
      this.adoptions.push({
        at: state.updatedAt,
        email: state.email,
        after: clone(state.attributes),
      });
    }
  }

  insertChanges(rows: NewChange[]): string[] {
    this.maybeFail("insertChanges");
    return rows.map((row) => {
      const id = String(++this.lastIds.change);
      const change = { ...clone(row), evidence: clone(row.evidence ?? null), id };
      this.changes.push(change);
      this.changeById.set(id, change);
      return id;
    });
  }

  settleChanges(receipts: ChangeReceipt[]): void {
    this.maybeFail("settleChanges");
    for (const receipt of receipts) {
      const change = this.changeById.get(receipt.changeId);
      if (!change) throw new Error(`no change ${receipt.changeId}`);
      Object.assign(change, {
        outcome: receipt.outcome,
        error: receipt.error,
        attempts: receipt.attempts,
        ...(receipt.note === undefined ? {} : { note: receipt.note }),
      });
      if (!receipt.state) continue;
      const email = receipt.state.email;
      this.states.set(
        email,
        stateAfterReceipt(this.states.get(email) ?? null, { ...receipt, state: receipt.state }),
      );
    }
  }

  openJournal(): ChangeJournal | null {
    this.maybeFail("openJournal");
    if (!this.deferredJournal) return null;
    let last: Promise<unknown> = Promise.resolve();
    const later = <T>(commit: () => T): Promise<T> => {
      const next = last.then(
        () =>
          new Promise<T>((resolve, reject) => {
            setImmediate(() => {
              try {
                resolve(commit());
              } catch (error) {
                reject(error);
              }
            });
          }),
      );
      last = next.catch(() => {});
      return next;
    };
    return {
      insertChanges: (rows) => later(() => this.insertChanges(rows)),
      settleChanges: (receipts) => later(() => this.settleChanges(receipts)),
      close: () => later(() => {}),
    };
  }

  listChanges(query: ChangeQuery): Page<ChangeRow> {
    const before = parseCursor(query.cursor);
    const matches = this.changes
      .filter(
        (c) =>
          (query.email === undefined || c.email === query.email.toLowerCase()) &&
          (query.runId === undefined || c.runId === query.runId) &&
          (query.outcome === undefined || c.outcome === query.outcome) &&
          (query.since === undefined || c.at >= query.since) &&
          (query.until === undefined || c.at < query.until) &&
          (before === undefined || Number(c.id) < before),
      )
      .sort((a, b) => Number(b.id) - Number(a.id));
    return pageOf(clone(matches.slice(0, query.limit + 1)), query.limit);
  }

  loadHolds(): Holds {
    return new Map(clone([...this.holds]));
  }

  saveHolds(updates: readonly HoldUpdate[]): void {
    this.maybeFail("saveHolds");
    for (const { email, holds } of updates) {
      if (Object.keys(holds).length === 0) this.holds.delete(email);
      else this.holds.set(email, clone(holds));
    }
  }

  attributeHistory(until: string, email?: string): Iterable<HeldValues> {
    const key = email?.trim().toLowerCase();
    const writes = this.changes
      .filter(
        (c) =>
          c.outcome === "applied" &&
          c.kind === "attributes" &&
          c.at <= until &&
          c.after &&
          (key === undefined || c.email === key),
      )
      .map((c) => ({ at: c.at, email: c.email, after: clone(c.after ?? {}) }));
    const adopted = this.adoptions
      .filter((a) => a.at <= until && (key === undefined || a.email === key))
      .map(clone);
    // Adopted and baseline values first on a tie: a prune's baseline comes before the writes at its instant.
    return mergeOldestFirst(adopted, writes);
  }

  lastChange(email: string): ChangeRow | null {
    const key = email.trim().toLowerCase();
    const row = this.changes.findLast((c) => c.email === key);
    return row ? clone(row) : null;
  }

  recordDelivery(delivery: NewDelivery): void {
    this.maybeFail("recordDelivery");
    this.deliveries.push({ ...clone(delivery), id: String(++this.lastIds.delivery) });
  }

  listDeliveries(runId: string): Delivery[] {
    return clone(this.deliveries.filter((d) => d.runId === runId));
  }

  recordNotification(notification: NewNotification): { id: string; duplicate: boolean } {
    this.maybeFail("recordNotification");
    const known = this.notifications.find((n) => n.msgId === notification.msgId);
    if (known) return { id: known.id, duplicate: true };
    const id = String(++this.lastIds.notification);
    this.notifications.push({
      ...clone(notification),
      id,
      runId: null,
      handledAt: null,
      confirmedAt: null,
    });
    return { id, duplicate: false };
  }

  waitingNotifications(): Notification[] {
    this.maybeFail("waitingNotifications");
    return clone(this.notifications.filter((n) => n.outcome === "waiting"));
  }

  settleNotifications(settlements: readonly NotificationSettlement[]): void {
    this.maybeFail("settleNotifications");
    for (const settlement of settlements) {
      const notification = this.notifications.find((n) => n.id === settlement.id);
      if (notification?.outcome === "waiting") Object.assign(notification, clone(settlement));
    }
  }

  listNotifications({ limit, cursor }: { limit: number; cursor?: string | undefined }) {
    const before = parseCursor(cursor);
    const newest = this.notifications.filter((n) => before === undefined || Number(n.id) < before);
    return pageOf(clone(newest.slice(-limit - 1).reverse()), limit);
  }

  recordEvents(events: readonly NewEvent[]): string[] {
    this.maybeFail("recordEvents");
    const ids: string[] = [];
    for (const event of events) {
      if (this.events.some((e) => e.key === event.key)) continue;
      const id = String(++this.lastIds.event);
      this.events.push({
        ...clone(event),
        id,
        attempts: 0,
        claimedAt: null,
        claimedBy: null,
        sentAt: null,
      });
      ids.push(id);
    }
    return ids;
  }

  lastEventFor(subjectUserId: string, names: readonly string[]): PlatformxEvent | null {
    const event = this.events.findLast(
      (e) =>
        e.subjectUserId === subjectUserId &&
        names.includes(e.name) &&
        (e.outcome === "pending" || e.outcome === "sent" || e.outcome === "unknown"),
    );
    return event ? clone(event) : null;
  }

  pendingEvents(limit: number): PlatformxEvent[] {
    return clone(this.events.filter((e) => e.outcome === "pending").slice(0, limit));
  }

  claimEvent(id: string, attempts: number, at: string, by: string): boolean {
    this.maybeFail("claimEvent");
    const event = this.events.find((e) => e.id === id);
    if (!event || event.outcome !== "pending" || event.attempts !== attempts) return false;
    event.attempts += 1;
    event.claimedAt = at;
    event.claimedBy = by;
    return true;
  }

  settleEvent(id: string, outcome: EventOutcome, error: ErrorInfo | null, at: string): void {
    this.maybeFail("settleEvent");
    const event = this.events.find((e) => e.id === id);
    if (!event) return;
    Object.assign(event, {
      outcome,
      error: clone(error),
      ...(outcome === "sent" ? { sentAt: at } : {}),
      ...(outcome === "pending" ? { claimedAt: null, claimedBy: null } : {}),
    });
  }

  eventCounts(): { name: string; outcome: EventOutcome; count: number }[] {
    const counts = new Map<string, { name: string; outcome: EventOutcome; count: number }>();
    for (const { name, outcome } of this.events) {
      const key = `${name}\u0000${outcome}`;
      const known = counts.get(key) ?? { name, outcome, count: 0 };
      known.count += 1;
      counts.set(key, known);
    }
    return [...counts.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.outcome.localeCompare(b.outcome),
    );
  }

  listEvents(query: EventQuery): Page<PlatformxEvent> {
    const before = parseCursor(query.cursor);
    const matches = this.events
      .filter(
        (e) =>
          (query.name === undefined || e.name === query.name) &&
          (query.email === undefined || e.email === query.email.trim().toLowerCase()) &&
          (query.outcome === undefined || e.outcome === query.outcome) &&
          (query.since === undefined || e.recordedAt >= query.since) &&
          (query.until === undefined || e.recordedAt < query.until) &&
          (before === undefined || Number(e.id) < before),
      )
      .reverse();
    return pageOf(clone(matches.slice(0, query.limit + 1)), query.limit);
  }

  lookAtBudget(name: string, holder: string, now: number, terms: BudgetTerms): Membership {
    this.maybeFail("lookAtBudget");
    const current = this.budgets.get(name) ?? [];
    const { gone, self, membership } = lookAtMembers(current, holder, now, terms);
    this.budgets.set(name, [
      ...current.filter((m) => !gone.includes(m.holder) && m.holder !== holder),
      self,
    ]);
    return membership;
  }

  leaveBudget(name: string, holder: string, now: number): void {
    this.maybeFail("leaveBudget");
    const members = this.budgets.get(name) ?? [];
    this.budgets.set(
      name,
      members.map((m) => (m.holder === holder ? { ...m, seenAt: now, leftAt: now } : m)),
    );
  }

  newestRun(filter: RunFilter): Run | null {
    const run = this.newest(filter);
    return run ? clone(run) : null;
  }

  prune(before: string): Pruned {
    this.maybeFail("prune");
    const changes = this.changes.length;
    const deliveries = this.deliveries.length;
    const runs = this.runs.length;
    const baseline = baselineBefore(this.attributeHistory(before), before);
    this.adoptions = [...baseline, ...this.adoptions.filter((a) => a.at >= before)];
    this.changes = this.changes.filter((c) => c.at >= before || c.outcome === "pending");
    this.changeById = new Map(this.changes.map((c) => [c.id, c]));
    this.deliveries = this.deliveries.filter((d) => d.at >= before);
    const notifications = this.notifications.length;
    const events = this.events.length;
    this.events = this.events.filter((e) => e.recordedAt >= before || e.outcome === "pending");
    this.notifications = this.notifications.filter(
      (n) => n.receivedAt >= before || n.outcome === "waiting",
    );
    const kept = new Set(RUNS_PRUNE_KEEPS.map((filter) => this.newest(filter)?.id));
    const withRows = new Set(this.changes.map((c) => c.runId));
    this.runs = this.runs.filter(
      (r) =>
        r.finishedAt === null || r.finishedAt >= before || withRows.has(r.id) || kept.has(r.id),
    );
    return {
      changes: changes - this.changes.length,
      runs: runs - this.runs.length,
      deliveries: deliveries - this.deliveries.length,
      notifications: notifications - this.notifications.length,
      events: events - this.events.length,
    };
  }

  acquireLease(
    holder: string,
    now: number,
    ttlMs: number,
    isDead: (holder: string) => boolean = () => false,
  ): boolean {
    this.maybeFail("acquireLease");
    if (!mayTakeLease(this.lease, holder, now, isDead)) return false;
    this.lease = { holder, expiresAt: now + ttlMs };
    return true;
  }

  renewLease(holder: string, now: number, ttlMs: number): boolean {
    this.maybeFail("renewLease");
    if (this.lease?.holder !== holder) return false;
    this.lease.expiresAt = now + ttlMs;
    return true;
  }

  releaseLease(holder: string): void {
    if (this.lease?.holder === holder) this.lease = null;
  }

  assertIntact(): void {
    if (this.broken) throw new CoderDxError("store_failed", this.broken);
  }

  close(): void {
    this.closed = true;
  }
}
