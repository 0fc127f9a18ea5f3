import { statSync } from "node:fs";
import {
  BASELINE_RUN,
  baselineBefore,
  type ChangeJournal,
  type ChangeQuery,
  type ChangeReceipt,
  type ChangeRow,
  CoderDxError,
  type Delivery,
  emptyRunCounts,
  type ErrorInfo,
  type FinishRun,
  type HeldValues,
  type HoldUpdate,
  type Holds,
  lastRealRunFilter,
  lookAtMembers,
  mayTakeLease,
  type BudgetTerms,
  type Membership,
  mergeOldestFirst,
  type NewChange,
  type NewDelivery,
  type EventOutcome,
  type EventQuery,
  type PeopleQuery,
  type NewEvent,
  type NewNotification,
  type Notification,
  type NotificationSettlement,
  type PlatformxEvent,
  type RunFilter,
  type Page,
  offsetPageOf,
  pageOf,
  parseCursor,
  parseRowId,
  type Pruned,
  type Run,
  type RunStatus,
  type StartRun,
  type SyncStore,
  stateAfterReceipt,
  type UserState,
} from "@coder-dx/core";
import type { Table } from "drizzle-orm";
import { decodeRow, encodeValues, insertSql, upsertSql, type ValueSlot } from "../columns";
import { WorkerJournal } from "../journal";
import {
  type ChangeRecord,
  notificationValues,
  type RunRow,
  type StateRow,
  toChange,
  toDelivery,
  toEvent,
  toNotification,
  toRun,
  toState,
} from "../rows";
import {
  changeFilter,
  EVENT_COUNTS,
  eventFilter,
  MAY_HAVE_REACHED_DX,
  newestRun,
  peopleQuery,
  PRUNABLE_CHANGE,
  PRUNABLE_EVENT,
  PRUNABLE_NOTIFICATION,
  prunableRuns,
} from "../rules";
import type { Db } from "./open-database";
import {
  adoptions,
  changes,
  deliveries,
  events,
  holds,
  lease,
  notifications,
  budgetMembers,
  runs,
  userState,
} from "./schema";
import { describeSqliteError } from "./sqlite-errors";

/** Audit rows deleted per transaction by `prune`. */
const PRUNE_CHUNK = 5000;

const LEASE = "sync";

/** The file's identity: a database replaced or deleted under a running process is detected. */
function fileIdentity(path: string): string | null {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

/** One row's values by name (`@runId`): the statements are prepared once and run per row. */
const named: ValueSlot = (key) => `@${key}`;
const insertStatement = (table: Table) => insertSql(table, 1, named);
const upsertStatement = (table: Table, key: string | readonly string[]) =>
  upsertSql(table, key, 1, named);

/**
 * The SyncStore on SQLite. Queries are plain SQL from the shared rules (`../rules`) and
 * statements built from the schema files (`../columns`), prepared once: a 100,000-user sync runs
 * the per-person ones hundreds of thousands of times. Every failure leaves as one `store_failed`
 * error that names the file and says what happened in words (a full disk, a lock held too long).
 */
export class SqliteSyncStore implements SyncStore {
  private readonly sql;
  readonly path: string;
  private readonly identity: string | null;

  constructor(readonly db: Db) {
    const client = db.$client;
    this.path = client.name;
    this.identity = client.memory ? null : fileIdentity(this.path);
    this.sql = {
      insertChange: client.prepare(insertStatement(changes)),
      settleChange: client.prepare(
        "UPDATE changes SET outcome = @outcome, error = @error, attempts = @attempts, note = coalesce(@note, note) WHERE id = @id",
      ),
      insertAdoption: client.prepare(insertStatement(adoptions)),
      getState: client.prepare("SELECT * FROM user_state WHERE email = ?"),
      allStates: client.prepare("SELECT * FROM user_state"),
      upsertState: client.prepare(upsertStatement(userState, "email")),
      getRun: client.prepare("SELECT * FROM runs WHERE id = ?"),
    };
  }

  private run_(id: number): Run {
    return toRun(decodeRow(runs, this.sql.getRun.get(id) as Record<string, unknown>));
  }

  /** The rows of a statement, decoded as `table`'s. */
  private all<T extends Table>(table: T, sql: string, ...params: unknown[]): T["$inferSelect"][] {
    return (this.db.$client.prepare(sql).all(...params) as Record<string, unknown>[]).map((raw) =>
      decodeRow(table, raw),
    );
  }

  startRun(input: StartRun): Run {
    return this.guard(() => {
      // `.run()`, not `RETURNING`: a RETURNING row arrives before the commit, and a commit that
      // fails (a full disk) must fail the call rather than pass unseen.
      const { lastInsertRowid } = this.db
        .insert(runs)
        .values({ status: "running", ...input, counts: emptyRunCounts() })
        .run();
      return this.run_(Number(lastInsertRowid));
    });
  }

  finishRun(id: string, result: FinishRun): Run {
    return this.guard(() => {
      const key = parseRowId(id);
      const { changes: updated } = this.db.$client
        .prepare(
          "UPDATE runs SET status = @status, finished_at = @finishedAt, error = @error, counts = @counts, source_count = @sourceCount WHERE id = @id",
        )
        .run({ ...encodeValues(runs, { ...result }), id: key });
      if (updated === 0) throw new Error(`the database has no run ${id}`);
      return this.run_(key as number);
    });
  }

  getRun(id: string): Run | null {
    return this.guard(() => {
      const key = parseRowId(id);
      const row = key === null ? undefined : this.sql.getRun.get(key);
      return row ? toRun(decodeRow(runs, row as Record<string, unknown>)) : null;
    });
  }

  listRuns({ limit, cursor }: { limit: number; cursor?: string | undefined }): Page<Run> {
    const before = parseCursor(cursor);
    return this.guard(() => {
      const rows = this.all(
        runs,
        `SELECT * FROM runs ${before === undefined ? "" : "WHERE id < ?"} ORDER BY id DESC LIMIT ?`,
        ...(before === undefined ? [] : [before]),
        limit + 1,
      );
      return pageOf(rows.map(toRun), limit);
    });
  }

  lastFinishedRun(status?: RunStatus): Run | null {
    return this.guard(() => {
      const [row] = this.all(runs, newestRun(lastRealRunFilter(status)));
      return row ? toRun(row as RunRow) : null;
    });
  }

  lastSourceCount(): number | null {
    return this.guard(() => {
      const [row] = this.all(runs, newestRun(BASELINE_RUN));
      return row?.sourceCount ?? null;
    });
  }

  closeAbandonedRuns(at: string, error: ErrorInfo): Run[] {
    return this.guard(() =>
      this.all(
        runs,
        "UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE status = 'running' RETURNING *",
        at,
        JSON.stringify(error),
      )
        .sort((a, b) => a.id - b.id)
        .map(toRun),
    );
  }

  listPendingChanges(exceptRunId: string): ChangeRow[] {
    return this.guard(() =>
      this.all(
        changes,
        "SELECT * FROM changes WHERE outcome = 'pending' AND run_id <> ? ORDER BY id",
        exceptRunId,
      ).map(toChange),
    );
  }

  loadUserStates(): Map<string, UserState> {
    return this.guard(() => {
      const states = new Map<string, UserState>();
      for (const raw of this.sql.allStates.iterate() as IterableIterator<Record<string, unknown>>) {
        const state = toState(decodeRow(userState, raw));
        states.set(state.email, state);
      }
      return states;
    });
  }

  private state(email: string): UserState | null {
    const raw = this.sql.getState.get(email) as Record<string, unknown> | undefined;
    return raw ? toState(decodeRow(userState, raw) as StateRow) : null;
  }

  getUserState(email: string): UserState | null {
    return this.guard(() => this.state(email.toLowerCase()));
  }

  rememberUsernames(people: readonly { email: string; username: string }[]): void {
    this.guard(() => {
      const update = this.db.$client.prepare(
        "UPDATE user_state SET username = ? WHERE email = ? AND username IS NOT ?",
      );
      this.db.$client.transaction(() => {
        for (const { email, username } of people) update.run(username, email, username);
      })();
    });
  }

  listPeople(query: PeopleQuery): Page<UserState> {
    const { sql, params } = peopleQuery(
      query,
      () => "?",
      () => "json_extract(attributes, ?)",
      (group) => `$."${group.replaceAll('"', '\\"')}"`,
    );
    return this.guard(() =>
      offsetPageOf(
        this.all(userState, sql, ...params).map(toState),
        parseCursor(query.cursor) ?? 0,
        query.limit,
      ),
    );
  }

  private upsertState(state: UserState): void {
    this.sql.upsertState.run(encodeValues(userState, { ...state }));
  }

  private adopt(step: HeldValues): void {
    this.sql.insertAdoption.run(
      encodeValues(adoptions, { at: step.at, email: step.email, attributes: step.after }),
    );
  }

  adoptUserStates(states: UserState[]): void {
    return this.guard(() => {
      if (states.length === 0) return;
      this.db.$client.transaction(() => {
        for (const state of states) {
          this.upsertState(state);
          this.adopt({ at: state.updatedAt, email: state.email, after: state.attributes });
        }
      })();
    });
  }

  insertChanges(rows: NewChange[]): string[] {
    return this.guard(() => {
      if (rows.length === 0) return [];
      return this.db.$client.transaction(() =>
        rows.map((row) =>
          String(
            this.sql.insertChange.run(
              encodeValues(changes, { ...row, evidence: row.evidence ?? null }),
            ).lastInsertRowid,
          ),
        ),
      )();
    });
  }

  settleChanges(receipts: ChangeReceipt[]): void {
    return this.guard(() => {
      if (receipts.length === 0) return;
      this.db.$client.transaction(() => {
        for (const receipt of receipts) {
          this.sql.settleChange.run({
            id: Number(receipt.changeId),
            outcome: receipt.outcome,
            error: receipt.error === null ? null : JSON.stringify(receipt.error),
            attempts: receipt.attempts,
            note: receipt.note ?? null,
          });
          if (!receipt.state) continue;
          this.upsertState(
            stateAfterReceipt(this.state(receipt.state.email), {
              ...receipt,
              state: receipt.state,
            }),
          );
        }
      })();
    });
  }

  /** A worker thread's connection commits the run's intents and receipts (WorkerJournal). */
  openJournal(): ChangeJournal | null {
    const client = this.db.$client;
    if (client.memory || client.readonly) return null;
    return new WorkerJournal(this, { kind: "sqlite", path: this.path }, this.path);
  }

  listChanges(query: ChangeQuery): Page<ChangeRow> {
    const { where, params } = changeFilter(query, () => "?");
    return this.guard(() => {
      const rows = this.all(
        changes,
        `SELECT * FROM changes ${where} ORDER BY id DESC LIMIT ?`,
        ...params,
        query.limit + 1,
      );
      return pageOf(rows.map(toChange), query.limit);
    });
  }

  loadHolds(): Holds {
    return this.guard(() => {
      const byEmail = new Map<string, Record<string, string>>();
      for (const row of this.db.select().from(holds).all()) {
        const record = byEmail.get(row.email) ?? {};
        record[row.groupName] = row.since;
        byEmail.set(row.email, record);
      }
      return byEmail;
    });
  }

  saveHolds(updates: readonly HoldUpdate[]): void {
    this.guard(() => {
      if (updates.length === 0) return;
      const client = this.db.$client;
      const remove = client.prepare("DELETE FROM holds WHERE email = ?");
      const insert = client.prepare(insertStatement(holds));
      client.transaction(() => {
        for (const { email, holds: record } of updates) {
          remove.run(email);
          for (const [groupName, since] of Object.entries(record))
            insert.run({ email, groupName, since });
        }
      })();
    });
  }

  attributeHistory(until: string, email?: string): Iterable<HeldValues> {
    const client = this.db.$client;
    const one = email === undefined ? "" : " AND email = @email";
    const steps = (sql: string) => {
      // Rows as arrays: a report over 2,000,000 rows makes no object per row it does not keep.
      const rows = this.guard(() =>
        client
          .prepare(sql)
          .raw(true)
          .iterate({ until, email: email?.trim().toLowerCase() ?? null }),
      ) as Iterable<[string, string, string]>;
      return (function* () {
        for (const [at, who, after] of rows) yield { at, email: who, after: JSON.parse(after) };
      })();
    };
    // Adopted and baseline values first on a tie: a prune's baseline comes before the writes at its instant.
    return mergeOldestFirst(
      steps(
        `SELECT at, email, attributes AS after FROM adoptions WHERE at <= @until${one} ORDER BY at, id`,
      ),
      steps(
        `SELECT at, email, after FROM changes WHERE outcome = 'applied' AND kind = 'attributes' AND at <= @until${one} AND after IS NOT NULL ORDER BY id`,
      ),
    );
  }

  lastChange(email: string): ChangeRow | null {
    return this.guard(() => {
      const [row] = this.all(
        changes,
        "SELECT * FROM changes WHERE email = ? ORDER BY id DESC LIMIT 1",
        email.trim().toLowerCase(),
      );
      return row ? toChange(row as ChangeRecord) : null;
    });
  }

  recordDelivery(delivery: NewDelivery): void {
    this.guard(() => {
      this.db.$client
        .prepare(insertStatement(deliveries))
        .run(encodeValues(deliveries, { ...delivery }));
    });
  }

  listDeliveries(runId: string): Delivery[] {
    return this.guard(() =>
      this.all(deliveries, "SELECT * FROM deliveries WHERE run_id = ? ORDER BY id", runId).map(
        toDelivery,
      ),
    );
  }

  recordNotification(notification: NewNotification): { id: string; duplicate: boolean } {
    return this.guard(() => {
      const client = this.db.$client;
      // One statement: a retry racing its first copy (two replicas) is still recorded once.
      const inserted = client
        .prepare(`${insertStatement(notifications)} ON CONFLICT (msg_id) DO NOTHING`)
        .run(encodeValues(notifications, notificationValues(notification)));
      if (inserted.changes > 0) return { id: String(inserted.lastInsertRowid), duplicate: false };
      const known = client
        .prepare("SELECT id FROM notifications WHERE msg_id = ?")
        .get(notification.msgId) as { id: number };
      return { id: String(known.id), duplicate: true };
    });
  }

  waitingNotifications(): Notification[] {
    return this.guard(() =>
      this.all(
        notifications,
        "SELECT * FROM notifications WHERE outcome = 'waiting' ORDER BY id",
      ).map(toNotification),
    );
  }

  settleNotifications(settlements: readonly NotificationSettlement[]): void {
    this.guard(() => {
      if (settlements.length === 0) return;
      const client = this.db.$client;
      const settle = client.prepare(
        `UPDATE notifications SET outcome = @outcome, run_id = @runId, note = @note,
           handled_at = @handledAt, confirmed_at = @confirmedAt
         WHERE id = @id AND outcome = 'waiting'`,
      );
      client.transaction(() => {
        for (const s of settlements) settle.run({ ...s, id: Number(s.id) });
      })();
    });
  }

  listNotifications({
    limit,
    cursor,
  }: {
    limit: number;
    cursor?: string | undefined;
  }): Page<Notification> {
    const before = parseCursor(cursor);
    return this.guard(() => {
      const rows = this.all(
        notifications,
        `SELECT * FROM notifications ${before === undefined ? "" : "WHERE id < ?"} ORDER BY id DESC LIMIT ?`,
        ...(before === undefined ? [] : [before]),
        limit + 1,
      );
      return pageOf(rows.map(toNotification), limit);
    });
  }

  recordEvents(batch: readonly NewEvent[]): string[] {
    return this.guard(() => {
      if (batch.length === 0) return [];
      const client = this.db.$client;
      const insert = client.prepare(`${insertStatement(events)} ON CONFLICT (key) DO NOTHING`);
      return client.transaction(() => {
        const ids: string[] = [];
        for (const event of batch) {
          const done = insert.run(
            encodeValues(events, {
              ...event,
              attempts: 0,
              claimedAt: null,
              claimedBy: null,
              sentAt: null,
            }),
          );
          if (done.changes > 0) ids.push(String(done.lastInsertRowid));
        }
        return ids;
      })();
    });
  }

  lastEventFor(subjectUserId: string, names: readonly string[]): PlatformxEvent | null {
    return this.guard(() => {
      const [row] = this.all(
        events,
        `SELECT * FROM events WHERE subject_user_id = ? AND name IN (${names.map(() => "?").join(", ")}) AND ${MAY_HAVE_REACHED_DX} ORDER BY id DESC LIMIT 1`,
        subjectUserId,
        ...names,
      );
      return row ? toEvent(row) : null;
    });
  }

  pendingEvents(limit: number): PlatformxEvent[] {
    return this.guard(() =>
      this.all(
        events,
        "SELECT * FROM events WHERE outcome = 'pending' ORDER BY id LIMIT ?",
        limit,
      ).map(toEvent),
    );
  }

  claimEvent(id: string, attempts: number, at: string, by: string): boolean {
    return this.guard(
      () =>
        this.db.$client
          .prepare(
            "UPDATE events SET attempts = attempts + 1, claimed_at = ?, claimed_by = ? WHERE id = ? AND outcome = 'pending' AND attempts = ?",
          )
          .run(at, by, Number(id), attempts).changes > 0,
    );
  }

  settleEvent(id: string, outcome: EventOutcome, error: ErrorInfo | null, at: string): void {
    this.guard(() => {
      this.db.$client
        .prepare(
          `UPDATE events SET outcome = @outcome, error = @error,
             sent_at = CASE WHEN @outcome = 'sent' THEN @at ELSE sent_at END,
             claimed_at = CASE WHEN @outcome = 'pending' THEN NULL ELSE claimed_at END,
             claimed_by = CASE WHEN @outcome = 'pending' THEN NULL ELSE claimed_by END
           WHERE id = @id`,
        )
        .run({
          outcome,
          error: error === null ? null : JSON.stringify(error),
          at,
          id: Number(id),
        });
    });
  }

  listEvents(query: EventQuery): Page<PlatformxEvent> {
    const { where, params } = eventFilter(query, () => "?");
    return this.guard(() => {
      const rows = this.all(
        events,
        `SELECT * FROM events ${where} ORDER BY id DESC LIMIT ?`,
        ...params,
        query.limit + 1,
      );
      return pageOf(rows.map(toEvent), query.limit);
    });
  }

  eventCounts(): { name: string; outcome: EventOutcome; count: number }[] {
    return this.guard(
      () =>
        this.db.$client.prepare(EVENT_COUNTS).all() as {
          name: string;
          outcome: EventOutcome;
          count: number;
        }[],
    );
  }

  lookAtBudget(name: string, holder: string, now: number, terms: BudgetTerms): Membership {
    return this.guard(() => {
      const client = this.db.$client;
      // IMMEDIATE: two processes looking at once serialise on the write lock.
      return client
        .transaction(() => {
          const current = this.all(budgetMembers, "SELECT * FROM budget_members WHERE name = ?", [
            name,
          ]);
          const { gone, self, membership } = lookAtMembers(current, holder, now, terms);
          const remove = client.prepare("DELETE FROM budget_members WHERE name = ? AND holder = ?");
          for (const h of gone) remove.run(name, h);
          client.prepare(upsertStatement(budgetMembers, ["name", "holder"])).run({ name, ...self });
          return membership;
        })
        .immediate();
    });
  }

  leaveBudget(name: string, holder: string, now: number): void {
    this.guard(() => {
      this.db.$client
        .prepare("UPDATE budget_members SET seen_at = ?, left_at = ? WHERE name = ? AND holder = ?")
        .run(now, now, name, holder);
    });
  }

  newestRun(filter: RunFilter): Run | null {
    return this.guard(() => {
      const [row] = this.all(runs, newestRun(filter));
      return row ? toRun(row) : null;
    });
  }

  prune(before: string): Pruned {
    return this.guard(() => {
      const client = this.db.$client;
      // First, everyone's values at the cut replace the history before it (one transaction):
      // the report stays exact from `before` on, and a prune stopped half way loses nothing.
      const baseline = baselineBefore(this.attributeHistory(before), before);
      client.transaction(() => {
        client.prepare("DELETE FROM adoptions WHERE at < ?").run(before);
        for (const step of baseline) this.adopt(step);
      })();
      // In chunks, each its own short transaction: a server answering reads is never held up
      // for the whole prune. Ends because every chunk removes rows older than `before`,
      // which no writer adds.
      const chunk = client.prepare(
        `DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE at < ? AND ${PRUNABLE_CHANGE} ORDER BY id LIMIT ${PRUNE_CHUNK})`,
      );
      let changesRemoved = 0;
      for (let removed = PRUNE_CHUNK; removed === PRUNE_CHUNK; ) {
        removed = chunk.run(before).changes;
        changesRemoved += removed;
      }
      const deliveriesRemoved = client
        .prepare("DELETE FROM deliveries WHERE at < ?")
        .run(before).changes;
      const runsRemoved = client
        .prepare(`DELETE FROM runs WHERE ${prunableRuns("?")}`)
        .run(before).changes;
      const notificationsRemoved = client
        .prepare(`DELETE FROM notifications WHERE received_at < ? AND ${PRUNABLE_NOTIFICATION}`)
        .run(before).changes;
      const eventsRemoved = client
        .prepare(`DELETE FROM events WHERE recorded_at < ? AND ${PRUNABLE_EVENT}`)
        .run(before).changes;
      return {
        changes: changesRemoved,
        runs: runsRemoved,
        deliveries: deliveriesRemoved,
        notifications: notificationsRemoved,
        events: eventsRemoved,
      };
    });
  }

  acquireLease(
    holder: string,
    now: number,
    ttlMs: number,
    isDead: (holder: string) => boolean,
  ): boolean {
    return this.guard(() => {
      const client = this.db.$client;
      // IMMEDIATE: two processes racing for a free lease serialise on the write lock.
      return client
        .transaction(() => {
          const [current] = this.all(lease, "SELECT * FROM lease WHERE name = ?", LEASE);
          if (!mayTakeLease(current ?? null, holder, now, isDead)) return false;
          client
            .prepare(upsertStatement(lease, "name"))
            .run({ name: LEASE, holder, expiresAt: now + ttlMs });
          return true;
        })
        .immediate();
    });
  }

  renewLease(holder: string, now: number, ttlMs: number): boolean {
    return this.guard(
      () =>
        this.db.$client
          .prepare("UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ?")
          .run(now + ttlMs, LEASE, holder).changes > 0,
    );
  }

  releaseLease(holder: string): void {
    this.guard(() => {
      this.db.$client.prepare("DELETE FROM lease WHERE name = ? AND holder = ?").run(LEASE, holder);
    });
  }

  assertIntact(): void {
    if (this.identity === null) return;
    const now = fileIdentity(this.path);
    if (now !== this.identity) {
      throw new CoderDxError(
        "store_failed",
        `database ${this.path}: ${now === null ? "deleted" : "replaced by another file"} while coder-dx was using it; stopped before writing anything it could not record`,
      );
    }
  }

  close(): void {
    if (this.db.$client.open) this.db.$client.close();
  }

  /** Runs a store operation; a SQLite failure becomes one `store_failed` naming the file. */
  private guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      if (error instanceof CoderDxError) throw error;
      throw new CoderDxError(
        "store_failed",
        `database ${this.path}: ${describeSqliteError(error)}`,
      );
    }
  }
}
