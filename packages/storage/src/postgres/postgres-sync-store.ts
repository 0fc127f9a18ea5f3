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
import {
  decodeRow,
  encodeValues,
  insertSql,
  numberedSlots,
  rowParams,
  upsertSql,
} from "../columns";
import { WorkerJournal } from "../journal";
import {
  notificationValues,
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
import { PgConnection } from "./pg-connection";
import { SCHEMA_FIX, schemaDrift } from "../schema-check";
import * as schema from "./schema";
import {
  adoptions,
  budgetMembers,
  changes,
  deliveries,
  events,
  holds,
  lease,
  notifications,
  runs,
  userState,
} from "./schema";

const LEASE = "sync";
const PRUNE_CHUNK = 5000;
/** Rows of the attribute history read per query: a 2,000,000-row report never sits in memory. */
const HISTORY_PAGE = 10_000;

/** `INSERT … VALUES ($1, …), …` for these rows of `table`, and its parameters. */
function insert(table: Table, rows: readonly Record<string, unknown>[]) {
  return {
    sql: insertSql(table, rows.length, numberedSlots(table)),
    params: rowParams(table, rows),
  };
}

/**
 * The store on Postgres (`CODER_DX_DB=postgres://…`): the same contract, rules and statements
 * as SQLite's (`../rules`, `../columns`), so several `serve` replicas can share one record. The
 * lease is a row taken in a transaction with `SELECT … FOR UPDATE`, so two machines never both
 * hold it.
 */
export class PostgresSyncStore implements SyncStore {
  private readonly db: PgConnection;

  constructor(private readonly url: string) {
    this.db = new PgConnection(url);
    const columns = new Map<string, string[]>();
    for (const row of this.db.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()",
    ))
      columns.set(row.table_name, [...(columns.get(row.table_name) ?? []), row.column_name]);
    const drift = schemaDrift((table) => columns.get(table) ?? [], Object.values(schema));
    if (drift) {
      this.db.close();
      throw new CoderDxError("store_unusable", `database ${this.where}: ${drift}${SCHEMA_FIX}`);
    }
  }

  /** A second client, in a worker thread, commits the run's intents and receipts. */
  openJournal(): ChangeJournal {
    return new WorkerJournal(this, { kind: "postgres", url: this.url }, this.where);
  }

  get where(): string {
    return this.db.where;
  }

  /** The connection itself, for `migrate-store`'s copy. */
  get connection(): PgConnection {
    return this.db;
  }

  /** The rows of a statement, decoded as `table`'s. */
  private all<T extends Table>(table: T, sql: string, params: unknown[] = []): T["$inferSelect"][] {
    return this.db.query(sql, params).map((raw) => decodeRow(table, raw));
  }

  startRun(input: StartRun): Run {
    const { sql, params } = insert(runs, [
      {
        status: "running",
        ...input,
        finishedAt: null,
        error: null,
        counts: emptyRunCounts(),
        sourceCount: null,
      },
    ]);
    const [row] = this.all(runs, `${sql} RETURNING *`, params);
    return toRun(row as typeof runs.$inferSelect);
  }

  finishRun(id: string, result: FinishRun): Run {
    const values = encodeValues(runs, { ...result });
    const [row] = this.all(
      runs,
      "UPDATE runs SET status = $2, finished_at = $3, error = $4, counts = $5, source_count = $6 WHERE id = $1 RETURNING *",
      [
        parseRowId(id),
        values.status,
        values.finishedAt,
        values.error,
        values.counts,
        values.sourceCount,
      ],
    );
    if (!row)
      throw new CoderDxError(
        "store_failed",
        `database ${this.where}: the database has no run ${id}`,
      );
    return toRun(row);
  }

  getRun(id: string): Run | null {
    const key = parseRowId(id);
    if (key === null) return null;
    const [row] = this.all(runs, "SELECT * FROM runs WHERE id = $1::bigint", [key]);
    return row ? toRun(row) : null;
  }

  listRuns({ limit, cursor }: { limit: number; cursor?: string | undefined }): Page<Run> {
    const before = parseCursor(cursor);
    const rows = this.all(
      runs,
      `SELECT * FROM runs ${before === undefined ? "" : "WHERE id < $2::bigint"} ORDER BY id DESC LIMIT $1`,
      before === undefined ? [limit + 1] : [limit + 1, before],
    );
    return pageOf(rows.map(toRun), limit);
  }

  lastFinishedRun(status?: RunStatus): Run | null {
    const [row] = this.all(runs, newestRun(lastRealRunFilter(status)));
    return row ? toRun(row) : null;
  }

  lastSourceCount(): number | null {
    const [row] = this.all(runs, newestRun(BASELINE_RUN));
    return row?.sourceCount ?? null;
  }

  closeAbandonedRuns(at: string, error: ErrorInfo): Run[] {
    return this.all(
      runs,
      "UPDATE runs SET status = 'failed', finished_at = $1, error = $2 WHERE status = 'running' RETURNING *",
      [at, JSON.stringify(error)],
    )
      .sort((a, b) => a.id - b.id)
      .map(toRun);
  }

  listPendingChanges(exceptRunId: string): ChangeRow[] {
    return this.all(
      changes,
      "SELECT * FROM changes WHERE outcome = 'pending' AND run_id <> $1 ORDER BY id",
      [exceptRunId],
    ).map(toChange);
  }

  loadUserStates(): Map<string, UserState> {
    const states = new Map<string, UserState>();
    for (const row of this.all(userState, "SELECT * FROM user_state"))
      states.set(row.email, toState(row));
    return states;
  }

  getUserState(email: string): UserState | null {
    const [row] = this.all(userState, "SELECT * FROM user_state WHERE email = $1", [
      email.toLowerCase(),
    ]);
    return row ? toState(row) : null;
  }

  rememberUsernames(people: readonly { email: string; username: string }[]): void {
    if (people.length === 0) return;
    this.db.query(
      `UPDATE user_state AS u SET username = v.username
         FROM (SELECT unnest($1::text[]) AS email, unnest($2::text[]) AS username) AS v
        WHERE u.email = v.email AND u.username IS DISTINCT FROM v.username`,
      [people.map((p) => p.email), people.map((p) => p.username)],
    );
  }

  listPeople(query: PeopleQuery): Page<UserState> {
    const { sql, params } = peopleQuery(
      query,
      (n) => `$${n}`,
      (n) => `(attributes ->> $${n}::text)`,
      (group) => group,
    );
    return offsetPageOf(
      this.all(userState, sql, params).map(toState),
      parseCursor(query.cursor) ?? 0,
      query.limit,
    );
  }

  private upsertStates(states: readonly UserState[]): void {
    if (states.length === 0) return;
    this.db.query(
      upsertSql(userState, "email", states.length, numberedSlots(userState)),
      rowParams(userState, states as unknown as Record<string, unknown>[]),
    );
  }

  private adopt(steps: readonly HeldValues[]): void {
    if (steps.length === 0) return;
    const { sql, params } = insert(
      adoptions,
      steps.map((step) => ({ at: step.at, email: step.email, attributes: step.after })),
    );
    this.db.query(sql, params);
  }

  adoptUserStates(states: UserState[]): void {
    if (states.length === 0) return;
    this.db.transaction(() => {
      this.upsertStates(states);
      this.adopt(states.map((s) => ({ at: s.updatedAt, email: s.email, after: s.attributes })));
    });
  }

  insertChanges(rows: NewChange[]): string[] {
    if (rows.length === 0) return [];
    // One statement for the batch; ids come back in the order the rows were given.
    const { sql, params } = insert(
      changes,
      rows.map((row) => ({ ...row, evidence: row.evidence ?? null })),
    );
    return this.db
      .query<{ id: number }>(`${sql} RETURNING id`, params)
      .map((r) => r.id)
      .sort((a, b) => a - b)
      .map(String);
  }

  /** A batch in four round trips: the outcomes in one UPDATE, the states read and written once. */
  settleChanges(receipts: ChangeReceipt[]): void {
    if (receipts.length === 0) return;
    this.db.transaction(() => {
      this.db.query(
        `UPDATE changes AS c SET outcome = v.outcome, error = v.error::jsonb, attempts = v.attempts,
           note = coalesce(v.note, c.note)
         FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[]) AS v(id, outcome, error, attempts, note)
         WHERE c.id = v.id`,
        [
          receipts.map((r) => Number(r.changeId)),
          receipts.map((r) => r.outcome),
          receipts.map((r) => (r.error === null ? null : JSON.stringify(r.error))),
          receipts.map((r) => r.attempts),
          receipts.map((r) => r.note ?? null),
        ],
      );
      const withState = receipts.filter((r) => r.state);
      if (withState.length === 0) return;
      const emails = [...new Set(withState.map((r) => r.state?.email as string))];
      const states = new Map<string, UserState>();
      for (const row of this.all(
        userState,
        "SELECT * FROM user_state WHERE email = ANY($1::text[])",
        [emails],
      ))
        states.set(row.email, toState(row));
      // In receipt order: two receipts for one person build on each other, as one by one would.
      for (const receipt of withState) {
        const state = receipt.state as NonNullable<ChangeReceipt["state"]>;
        states.set(
          state.email,
          stateAfterReceipt(states.get(state.email) ?? null, { ...receipt, state }),
        );
      }
      this.upsertStates(emails.map((email) => states.get(email) as UserState));
    });
  }

  listChanges(query: ChangeQuery): Page<ChangeRow> {
    const { where, params } = changeFilter(query, (n) => `$${n}`);
    // A time range reads the (at, id) index newest first: ids grow with `at`, so the order is
    // the same, and Postgres would otherwise walk the whole id index back to the range.
    const order =
      query.since !== undefined || query.until !== undefined ? "at DESC, id DESC" : "id DESC";
    const rows = this.all(
      changes,
      `SELECT * FROM changes ${where} ORDER BY ${order} LIMIT $${params.length + 1}`,
      [...params, query.limit + 1],
    );
    return pageOf(rows.map(toChange), query.limit);
  }

  loadHolds(): Holds {
    const byEmail = new Map<string, Record<string, string>>();
    for (const row of this.all(holds, "SELECT * FROM holds")) {
      const record = byEmail.get(row.email) ?? {};
      record[row.groupName] = row.since;
      byEmail.set(row.email, record);
    }
    return byEmail;
  }

  saveHolds(updates: readonly HoldUpdate[]): void {
    if (updates.length === 0) return;
    this.db.transaction(() => {
      this.db.query("DELETE FROM holds WHERE email = ANY($1::text[])", [
        updates.map((u) => u.email),
      ]);
      const rows = updates.flatMap(({ email, holds: record }) =>
        Object.entries(record).map(([groupName, since]) => ({ email, groupName, since })),
      );
      if (rows.length === 0) return;
      const { sql, params } = insert(holds, rows);
      this.db.query(sql, params);
    });
  }

  attributeHistory(until: string, email?: string): Iterable<HeldValues> {
    const who = email?.trim().toLowerCase();
    const pages = (select: string) => {
      const db = this.db;
      return (function* () {
        let after = 0;
        for (;;) {
          const params: unknown[] = [until, after, HISTORY_PAGE];
          if (who !== undefined) params.push(who);
          const rows = db.query<{
            id: number;
            at: string;
            email: string;
            after: Record<string, string | null>;
          }>(
            `${select} AND at <= $1 AND id > $2 ${who !== undefined ? "AND email = $4" : ""} ORDER BY id LIMIT $3`,
            params,
          );
          for (const row of rows) yield { at: row.at, email: row.email, after: row.after };
          if (rows.length < HISTORY_PAGE) return;
          after = (rows.at(-1) as { id: number }).id;
        }
      })();
    };
    // Adoptions in id order are in time order too: each is recorded as it happens, and a
    // prune's baseline (at the cut) replaces every adoption before it.
    return mergeOldestFirst(
      pages("SELECT id, at, email, attributes AS after FROM adoptions WHERE TRUE"),
      pages(
        "SELECT id, at, email, after FROM changes WHERE outcome = 'applied' AND kind = 'attributes' AND after IS NOT NULL",
      ),
    );
  }

  lastChange(email: string): ChangeRow | null {
    const [row] = this.all(
      changes,
      "SELECT * FROM changes WHERE email = $1 ORDER BY id DESC LIMIT 1",
      [email.trim().toLowerCase()],
    );
    return row ? toChange(row) : null;
  }

  recordDelivery(delivery: NewDelivery): void {
    const { sql, params } = insert(deliveries, [{ ...delivery }]);
    this.db.query(sql, params);
  }

  listDeliveries(runId: string): Delivery[] {
    return this.all(deliveries, "SELECT * FROM deliveries WHERE run_id = $1 ORDER BY id", [
      runId,
    ]).map(toDelivery);
  }

  recordNotification(notification: NewNotification): { id: string; duplicate: boolean } {
    // One statement: two replicas given the same message record it once.
    const { sql, params } = insert(notifications, [notificationValues(notification)]);
    const [row] = this.db.query<{ id: number }>(
      `${sql} ON CONFLICT (msg_id) DO NOTHING RETURNING id`,
      params,
    );
    if (row) return { id: String(row.id), duplicate: false };
    const [known] = this.db.query<{ id: number }>(
      "SELECT id FROM notifications WHERE msg_id = $1",
      [notification.msgId],
    );
    return { id: String(known?.id), duplicate: true };
  }

  waitingNotifications(): Notification[] {
    return this.all(
      notifications,
      "SELECT * FROM notifications WHERE outcome = 'waiting' ORDER BY id",
    ).map(toNotification);
  }

  settleNotifications(settlements: readonly NotificationSettlement[]): void {
    if (settlements.length === 0) return;
    this.db.query(
      `UPDATE notifications AS n SET outcome = v.outcome, run_id = v.run_id, note = v.note,
         handled_at = v.handled_at, confirmed_at = v.confirmed_at
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         AS v(id, outcome, run_id, note, handled_at, confirmed_at)
       WHERE n.id = v.id AND n.outcome = 'waiting'`,
      [
        settlements.map((s) => Number(s.id)),
        settlements.map((s) => s.outcome),
        settlements.map((s) => s.runId),
        settlements.map((s) => s.note),
        settlements.map((s) => s.handledAt),
        settlements.map((s) => s.confirmedAt),
      ],
    );
  }

  listNotifications({
    limit,
    cursor,
  }: {
    limit: number;
    cursor?: string | undefined;
  }): Page<Notification> {
    const before = parseCursor(cursor);
    const rows = this.all(
      notifications,
      `SELECT * FROM notifications ${before === undefined ? "" : "WHERE id < $2::bigint"} ORDER BY id DESC LIMIT $1`,
      before === undefined ? [limit + 1] : [limit + 1, before],
    );
    return pageOf(rows.map(toNotification), limit);
  }

  recordEvents(batch: readonly NewEvent[]): string[] {
    if (batch.length === 0) return [];
    const { sql, params } = insert(
      events,
      batch.map((event) => ({
        ...event,
        attempts: 0,
        claimedAt: null,
        claimedBy: null,
        sentAt: null,
      })),
    );
    return this.db
      .query<{ id: number }>(`${sql} ON CONFLICT (key) DO NOTHING RETURNING id`, params)
      .map((r) => r.id)
      .sort((a, b) => a - b)
      .map(String);
  }

  lastEventFor(subjectUserId: string, names: readonly string[]): PlatformxEvent | null {
    const [row] = this.all(
      events,
      `SELECT * FROM events WHERE subject_user_id = $1 AND name = ANY($2::text[]) AND ${MAY_HAVE_REACHED_DX} ORDER BY id DESC LIMIT 1`,
      [subjectUserId, [...names]],
    );
    return row ? toEvent(row) : null;
  }

  pendingEvents(limit: number): PlatformxEvent[] {
    return this.all(events, "SELECT * FROM events WHERE outcome = 'pending' ORDER BY id LIMIT $1", [
      limit,
    ]).map(toEvent);
  }

  claimEvent(id: string, attempts: number, at: string, by: string): boolean {
    return (
      this.db.query(
        "UPDATE events SET attempts = attempts + 1, claimed_at = $2, claimed_by = $4 WHERE id = $1 AND outcome = 'pending' AND attempts = $3 RETURNING id",
        [Number(id), at, attempts, by],
      ).length > 0
    );
  }

  settleEvent(id: string, outcome: EventOutcome, error: ErrorInfo | null, at: string): void {
    this.db.query(
      `UPDATE events SET outcome = $2, error = $3,
         sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END,
         claimed_at = CASE WHEN $2 = 'pending' THEN NULL ELSE claimed_at END,
         claimed_by = CASE WHEN $2 = 'pending' THEN NULL ELSE claimed_by END
       WHERE id = $1`,
      [Number(id), outcome, error === null ? null : JSON.stringify(error), at],
    );
  }

  listEvents(query: EventQuery): Page<PlatformxEvent> {
    const { where, params } = eventFilter(query, (n) => `$${n}`);
    const rows = this.all(
      events,
      `SELECT * FROM events ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
      [...params, query.limit + 1],
    );
    return pageOf(rows.map(toEvent), query.limit);
  }

  eventCounts(): { name: string; outcome: EventOutcome; count: number }[] {
    return this.db
      .query<{ name: string; outcome: EventOutcome; count: string }>(EVENT_COUNTS, [])
      .map((row) => ({ ...row, count: Number(row.count) }));
  }

  lookAtBudget(name: string, holder: string, now: number, terms: BudgetTerms): Membership {
    return this.db.transaction(() => {
      // A lock per budget name, held to the commit, serialises the lookers on any machine (two
      // newcomers must not both find themselves alone, which FOR UPDATE on no rows cannot stop).
      this.db.query("SELECT pg_advisory_xact_lock(hashtext('coder-dx budget ' || $1))", [name]);
      const current = this.all(budgetMembers, "SELECT * FROM budget_members WHERE name = $1", [
        name,
      ]);
      const { gone, self, membership } = lookAtMembers(current, holder, now, terms);
      if (gone.length > 0)
        this.db.query("DELETE FROM budget_members WHERE name = $1 AND holder = ANY($2::text[])", [
          name,
          gone,
        ]);
      this.db.query(
        upsertSql(budgetMembers, ["name", "holder"], 1, numberedSlots(budgetMembers)),
        rowParams(budgetMembers, [{ name, ...self }]),
      );
      return membership;
    });
  }

  leaveBudget(name: string, holder: string, now: number): void {
    this.db.query(
      "UPDATE budget_members SET seen_at = $3, left_at = $3 WHERE name = $1 AND holder = $2",
      [name, holder, now],
    );
  }

  newestRun(filter: RunFilter): Run | null {
    const [row] = this.all(runs, newestRun(filter));
    return row ? toRun(row) : null;
  }

  /** How many rows a DELETE removed, in one round trip. */
  private deleted(sql: string, params: unknown[]): number {
    const [row] = this.db.query<{ n: number }>(
      `WITH gone AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      params,
    );
    return row?.n ?? 0;
  }

  prune(before: string): Pruned {
    const baseline = baselineBefore(this.attributeHistory(before), before);
    this.db.transaction(() => {
      this.db.query("DELETE FROM adoptions WHERE at < $1", [before]);
      this.adopt(baseline);
    });
    let changesRemoved = 0;
    for (let removed = PRUNE_CHUNK; removed === PRUNE_CHUNK; ) {
      removed = this.deleted(
        `DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE at < $1 AND ${PRUNABLE_CHANGE} ORDER BY id LIMIT ${PRUNE_CHUNK})`,
        [before],
      );
      changesRemoved += removed;
    }
    const deliveriesRemoved = this.deleted("DELETE FROM deliveries WHERE at < $1", [before]);
    const runsRemoved = this.deleted(`DELETE FROM runs WHERE ${prunableRuns("$1")}`, [before]);
    const notificationsRemoved = this.deleted(
      `DELETE FROM notifications WHERE received_at < $1 AND ${PRUNABLE_NOTIFICATION}`,
      [before],
    );
    const eventsRemoved = this.deleted(
      `DELETE FROM events WHERE recorded_at < $1 AND ${PRUNABLE_EVENT}`,
      [before],
    );
    return {
      changes: changesRemoved,
      runs: runsRemoved,
      deliveries: deliveriesRemoved,
      notifications: notificationsRemoved,
      events: eventsRemoved,
    };
  }

  acquireLease(
    holder: string,
    now: number,
    ttlMs: number,
    isDead: (holder: string) => boolean,
  ): boolean {
    return this.db.transaction(() => {
      // The row is created once; FOR UPDATE then serialises every taker, on any machine.
      this.db.query(
        "INSERT INTO lease (name, holder, expires_at) VALUES ($1, '', 0) ON CONFLICT (name) DO NOTHING",
        [LEASE],
      );
      const [current] = this.all(lease, "SELECT * FROM lease WHERE name = $1 FOR UPDATE", [LEASE]);
      if (!mayTakeLease(current ?? null, holder, now, isDead)) return false;
      this.db.query("UPDATE lease SET holder = $2, expires_at = $3 WHERE name = $1", [
        LEASE,
        holder,
        now + ttlMs,
      ]);
      return true;
    });
  }

  renewLease(holder: string, now: number, ttlMs: number): boolean {
    return (
      this.db.query(
        "UPDATE lease SET expires_at = $3 WHERE name = $1 AND holder = $2 RETURNING holder",
        [LEASE, holder, now + ttlMs],
      ).length > 0
    );
  }

  releaseLease(holder: string): void {
    this.db.query("UPDATE lease SET holder = '', expires_at = 0 WHERE name = $1 AND holder = $2", [
      LEASE,
      holder,
    ]);
  }

  /** A server database cannot be replaced under us as a file can: nothing to check per write. */
  assertIntact(): void {}

  close(): void {
    this.db.close();
  }
}
