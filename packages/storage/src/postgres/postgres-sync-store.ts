import {
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
  mergeOldestFirst,
  type NewChange,
  type NewDelivery,
  type Page,
  type Pruned,
  type Run,
  type RunStatus,
  type StartRun,
  type SyncStore,
  stateAfterReceipt,
  type UserState,
} from "@coder-dx/core";
import { WorkerJournal } from "../journal";
import { PgConnection } from "./pg-connection";

const LEASE = "sync";
const PRUNE_CHUNK = 5000;
/** Rows of the attribute history read per query: a 2,000,000-row report never sits in memory. */
const HISTORY_PAGE = 10_000;

interface RunRecord {
  id: number;
  status: RunStatus;
  dry_run: boolean;
  trigger: Run["trigger"];
  scoped: boolean;
  started_at: string;
  finished_at: string | null;
  error: ErrorInfo | null;
  counts: Run["counts"];
  source_count: number | null;
}

interface ChangeRecord {
  id: number;
  run_id: string;
  at: string;
  email: string;
  coder_user_id: string | null;
  kind: ChangeRow["kind"];
  action: ChangeRow["action"];
  before: ChangeRow["before"];
  after: ChangeRow["after"];
  observed: ChangeRow["observed"];
  outcome: ChangeRow["outcome"];
  error: ErrorInfo | null;
  attempts: number;
  note: string | null;
  evidence: ChangeRow["evidence"];
}

interface StateRecord {
  email: string;
  coder_user_id: string | null;
  attributes: Record<string, string | null>;
  properties: Record<string, string | null>;
  updated_at: string;
  unmatched_at: string | null;
  unmatched_attributes: Record<string, string | null> | null;
}

const toRun = (r: RunRecord): Run => ({
  id: String(r.id),
  status: r.status,
  dryRun: r.dry_run,
  trigger: r.trigger,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  error: r.error,
  counts: { ...emptyRunCounts(), ...r.counts },
  sourceCount: r.source_count,
  scoped: r.scoped,
});

const toChange = (r: ChangeRecord): ChangeRow => ({
  id: String(r.id),
  runId: r.run_id,
  at: r.at,
  email: r.email,
  coderUserId: r.coder_user_id,
  kind: r.kind,
  action: r.action,
  before: r.before,
  after: r.after,
  observed: r.observed,
  outcome: r.outcome,
  error: r.error,
  attempts: r.attempts,
  note: r.note,
  evidence: r.evidence ?? null,
});

const toState = (r: StateRecord): UserState => ({
  email: r.email,
  coderUserId: r.coder_user_id,
  attributes: r.attributes,
  properties: r.properties,
  updatedAt: r.updated_at,
  unmatchedAt: r.unmatched_at,
  unmatchedAttributes: r.unmatched_attributes,
});

/** JSON for a jsonb parameter (null stays SQL NULL). */
const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

function cursorId(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Number(cursor);
  if (!Number.isSafeInteger(id) || id < 0)
    throw new CoderDxError("usage_invalid", `cursor "${cursor}" is not one this API gave out`);
  return id;
}

const UPSERT_STATE_HEAD =
  "INSERT INTO user_state (email, coder_user_id, attributes, properties, updated_at, unmatched_at, unmatched_attributes)";
const UPSERT_STATE_TAIL = `ON CONFLICT (email) DO UPDATE SET coder_user_id = excluded.coder_user_id, attributes = excluded.attributes,
    properties = excluded.properties, updated_at = excluded.updated_at, unmatched_at = excluded.unmatched_at,
    unmatched_attributes = excluded.unmatched_attributes`;
const UPSERT_STATE = `${UPSERT_STATE_HEAD} VALUES ($1, $2, $3, $4, $5, $6, $7) ${UPSERT_STATE_TAIL}`;

const stateParams = (s: UserState) => [
  s.email,
  s.coderUserId,
  json(s.attributes),
  json(s.properties),
  s.updatedAt,
  s.unmatchedAt,
  json(s.unmatchedAttributes),
];

/**
 * The store on Postgres (`CODER_DX_DB=postgres://…`): the same contract as SQLite's, so several
 * `serve` replicas can share one record. The lease is a row taken in a transaction with
 * `SELECT … FOR UPDATE`, so two machines never both hold it.
 */
export class PostgresSyncStore implements SyncStore {
  private readonly db: PgConnection;

  constructor(private readonly url: string) {
    this.db = new PgConnection(url);
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

  startRun(input: StartRun): Run {
    const [row] = this.db.query<RunRecord>(
      `INSERT INTO runs (status, dry_run, trigger, scoped, started_at, counts) VALUES ('running', $1, $2, $3, $4, $5) RETURNING *`,
      [input.dryRun, input.trigger, input.scoped, input.startedAt, json(emptyRunCounts())],
    );
    return toRun(row as RunRecord);
  }

  finishRun(id: string, result: FinishRun): Run {
    const [row] = this.db.query<RunRecord>(
      `UPDATE runs SET status = $2, finished_at = $3, error = $4, counts = $5, source_count = $6 WHERE id = $1 RETURNING *`,
      [
        Number(id),
        result.status,
        result.finishedAt,
        json(result.error),
        json(result.counts),
        result.sourceCount,
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
    const key = Number(id);
    if (!Number.isSafeInteger(key) || key > 2_147_483_647) return null;
    const [row] = this.db.query<RunRecord>("SELECT * FROM runs WHERE id = $1", [key]);
    return row ? toRun(row) : null;
  }

  listRuns({ limit, cursor }: { limit: number; cursor?: string | undefined }): Page<Run> {
    const after = cursorId(cursor);
    const rows = this.db.query<RunRecord>(
      `SELECT * FROM runs ${after === undefined ? "" : "WHERE id < $2"} ORDER BY id DESC LIMIT $1`,
      after === undefined ? [limit + 1] : [limit + 1, after],
    );
    const items = rows.slice(0, limit).map(toRun);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  lastFinishedRun(status?: RunStatus): Run | null {
    const [row] = this.db.query<RunRecord>(
      `SELECT * FROM runs WHERE finished_at IS NOT NULL AND NOT dry_run ${status ? "AND status = $1" : ""} ORDER BY id DESC LIMIT 1`,
      status ? [status] : [],
    );
    return row ? toRun(row) : null;
  }

  lastSourceCount(): number | null {
    const [row] = this.db.query<{ source_count: number | null }>(
      `SELECT source_count FROM runs WHERE status IN ('succeeded', 'partial') AND NOT dry_run AND NOT scoped ORDER BY id DESC LIMIT 1`,
    );
    return row?.source_count ?? null;
  }

  closeAbandonedRuns(at: string, error: ErrorInfo): Run[] {
    return this.db
      .query<RunRecord>(
        `UPDATE runs SET status = 'failed', finished_at = $1, error = $2 WHERE status = 'running' RETURNING *`,
        [at, json(error)],
      )
      .sort((a, b) => a.id - b.id)
      .map(toRun);
  }

  listPendingChanges(exceptRunId: string): ChangeRow[] {
    return this.db
      .query<ChangeRecord>(
        `SELECT * FROM changes WHERE outcome = 'pending' AND run_id <> $1 ORDER BY id`,
        [exceptRunId],
      )
      .map(toChange);
  }

  loadUserStates(): Map<string, UserState> {
    const states = new Map<string, UserState>();
    for (const row of this.db.query<StateRecord>("SELECT * FROM user_state"))
      states.set(row.email, toState(row));
    return states;
  }

  getUserState(email: string): UserState | null {
    const [row] = this.db.query<StateRecord>("SELECT * FROM user_state WHERE email = $1", [
      email.toLowerCase(),
    ]);
    return row ? toState(row) : null;
  }

  adoptUserStates(states: UserState[]): void {
    if (states.length === 0) return;
    this.db.transaction(() => {
      for (const state of states) {
        this.db.query(UPSERT_STATE, stateParams(state));
        this.db.query("INSERT INTO adoptions (at, email, attributes) VALUES ($1, $2, $3)", [
          state.updatedAt,
          state.email,
          json(state.attributes),
        ]);
      }
    });
  }

  insertChanges(rows: NewChange[]): string[] {
    if (rows.length === 0) return [];
    // One statement for the batch; ids come back in the order the rows were given.
    const columns = 14;
    const values: unknown[] = [];
    const tuples = rows.map((row, i) => {
      values.push(
        row.runId,
        row.at,
        row.email,
        row.coderUserId,
        row.kind,
        row.action,
        json(row.before),
        json(row.after),
        json(row.observed),
        row.outcome,
        json(row.error),
        row.attempts,
        row.note,
        json(row.evidence ?? null),
      );
      return `(${Array.from({ length: columns }, (_, k) => `$${i * columns + k + 1}`).join(", ")})`;
    });
    return this.db
      .query<{ id: number }>(
        `INSERT INTO changes (run_id, at, email, coder_user_id, kind, action, before, after, observed, outcome, error, attempts, note, evidence)
         VALUES ${tuples.join(", ")} RETURNING id`,
        values,
      )
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
          receipts.map((r) => json(r.error)),
          receipts.map((r) => r.attempts),
          receipts.map((r) => r.note ?? null),
        ],
      );
      const withState = receipts.filter((r) => r.state);
      if (withState.length === 0) return;
      const emails = [...new Set(withState.map((r) => r.state?.email as string))];
      const states = new Map<string, UserState>();
      for (const row of this.db.query<StateRecord>(
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
      const next = emails.map((email) => states.get(email) as UserState);
      const width = 7;
      this.db.query(
        `${UPSERT_STATE_HEAD} VALUES ${next.map((_, i) => `(${Array.from({ length: width }, (_, k) => `$${i * width + k + 1}`).join(", ")})`).join(", ")} ${UPSERT_STATE_TAIL}`,
        next.flatMap(stateParams),
      );
    });
  }

  listChanges(query: ChangeQuery): Page<ChangeRow> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace("?", `$${params.length}`));
    };
    if (query.email !== undefined) add("email = ?", query.email.trim().toLowerCase());
    if (query.runId !== undefined) add("run_id = ?", query.runId);
    if (query.outcome !== undefined) add("outcome = ?", query.outcome);
    if (query.since !== undefined) add("at >= ?", query.since);
    if (query.until !== undefined) add("at < ?", query.until);
    const after = cursorId(query.cursor);
    if (after !== undefined) add("id < ?", after);
    params.push(query.limit + 1);
    // A time range reads the (at, id) index newest first: ids grow with `at`, so the order is
    // the same, and Postgres would otherwise walk the whole id index back to the range.
    const order =
      query.since !== undefined || query.until !== undefined ? "at DESC, id DESC" : "id DESC";
    const rows = this.db.query<ChangeRecord>(
      `SELECT * FROM changes ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""} ORDER BY ${order} LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, query.limit).map(toChange);
    return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
  }

  loadHolds(): Holds {
    const byEmail = new Map<string, Record<string, string>>();
    for (const row of this.db.query<{ email: string; group_name: string; since: string }>(
      "SELECT * FROM holds",
    )) {
      const record = byEmail.get(row.email) ?? {};
      record[row.group_name] = row.since;
      byEmail.set(row.email, record);
    }
    return byEmail;
  }

  saveHolds(updates: readonly HoldUpdate[]): void {
    if (updates.length === 0) return;
    this.db.transaction(() => {
      for (const { email, holds } of updates) {
        this.db.query("DELETE FROM holds WHERE email = $1", [email]);
        for (const [group, since] of Object.entries(holds))
          this.db.query("INSERT INTO holds (email, group_name, since) VALUES ($1, $2, $3)", [
            email,
            group,
            since,
          ]);
      }
    });
  }

  attributeHistory(until: string, email?: string): Iterable<HeldValues> {
    const who = email?.trim().toLowerCase();
    const pages = (table: "adoptions" | "changes") => {
      const db = this.db;
      return (function* () {
        let after = 0;
        for (;;) {
          const params: unknown[] = [until, after, HISTORY_PAGE];
          if (who !== undefined) params.push(who);
          const rows =
            table === "adoptions"
              ? db.query<{
                  id: number;
                  at: string;
                  email: string;
                  after: Record<string, string | null>;
                }>(
                  `SELECT id, at, email, attributes AS after FROM adoptions WHERE at <= $1 AND id > $2 ${who !== undefined ? "AND email = $4" : ""} ORDER BY id LIMIT $3`,
                  params,
                )
              : db.query<{
                  id: number;
                  at: string;
                  email: string;
                  after: Record<string, string | null>;
                }>(
                  `SELECT id, at, email, after FROM changes WHERE outcome = 'applied' AND kind = 'attributes' AND after IS NOT NULL AND at <= $1 AND id > $2 ${who !== undefined ? "AND email = $4" : ""} ORDER BY id LIMIT $3`,
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
    return mergeOldestFirst(pages("adoptions"), pages("changes"));
  }

  lastChange(email: string): ChangeRow | null {
    const [row] = this.db.query<ChangeRecord>(
      "SELECT * FROM changes WHERE email = $1 ORDER BY id DESC LIMIT 1",
      [email.trim().toLowerCase()],
    );
    return row ? toChange(row) : null;
  }

  recordDelivery(delivery: NewDelivery): void {
    this.db.query(
      "INSERT INTO deliveries (run_id, at, target, event, outcome, attempts, http_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      [
        delivery.runId,
        delivery.at,
        delivery.target,
        delivery.event,
        delivery.outcome,
        delivery.attempts,
        delivery.httpStatus,
        json(delivery.error),
      ],
    );
  }

  listDeliveries(runId: string): Delivery[] {
    return this.db
      .query<{
        id: number;
        run_id: string;
        at: string;
        target: string;
        event: string;
        outcome: Delivery["outcome"];
        attempts: number;
        http_status: number | null;
        error: ErrorInfo | null;
      }>("SELECT * FROM deliveries WHERE run_id = $1 ORDER BY id", [runId])
      .map((r) => ({
        id: String(r.id),
        runId: r.run_id,
        at: r.at,
        target: r.target,
        event: r.event,
        outcome: r.outcome,
        attempts: r.attempts,
        httpStatus: r.http_status,
        error: r.error,
      }));
  }

  prune(before: string): Pruned {
    const baseline = baselineBefore(this.attributeHistory(before), before);
    this.db.transaction(() => {
      this.db.query("DELETE FROM adoptions WHERE at < $1", [before]);
      for (const step of baseline)
        this.db.query("INSERT INTO adoptions (at, email, attributes) VALUES ($1, $2, $3)", [
          step.at,
          step.email,
          json(step.after),
        ]);
    });
    let changesRemoved = 0;
    for (let removed = PRUNE_CHUNK; removed === PRUNE_CHUNK; ) {
      const [row] = this.db.query<{ n: number }>(
        `WITH gone AS (DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE at < $1 AND outcome <> 'pending' ORDER BY id LIMIT ${PRUNE_CHUNK}) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
        [before],
      );
      removed = row?.n ?? 0;
      changesRemoved += removed;
    }
    const [deliveriesRow] = this.db.query<{ n: number }>(
      "WITH gone AS (DELETE FROM deliveries WHERE at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone",
      [before],
    );
    const [runsRow] = this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < $1
         AND id::text NOT IN (SELECT DISTINCT run_id FROM changes)
         AND id NOT IN (
           SELECT coalesce(max(id), 0) FROM runs WHERE status IN ('succeeded', 'partial') AND NOT dry_run AND NOT scoped
           UNION SELECT coalesce(max(id), 0) FROM runs WHERE status = 'succeeded' AND NOT dry_run
           UNION SELECT coalesce(max(id), 0) FROM runs WHERE finished_at IS NOT NULL AND NOT dry_run
         ) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [before],
    );
    return {
      changes: changesRemoved,
      runs: runsRow?.n ?? 0,
      deliveries: deliveriesRow?.n ?? 0,
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
      const [current] = this.db.query<{ holder: string; expires_at: number }>(
        "SELECT holder, expires_at FROM lease WHERE name = $1 FOR UPDATE",
        [LEASE],
      );
      if (
        current &&
        current.holder !== "" &&
        current.holder !== holder &&
        current.expires_at > now &&
        !isDead(current.holder)
      )
        return false;
      this.db.query("UPDATE lease SET holder = $2, expires_at = $3 WHERE name = $1", [
        LEASE,
        holder,
        now + ttlMs,
      ]);
      return true;
    });
  }

  renewLease(holder: string, now: number, ttlMs: number): boolean {
    const rows = this.db.query(
      "UPDATE lease SET expires_at = $3 WHERE name = $1 AND holder = $2 RETURNING holder",
      [LEASE, holder, now + ttlMs],
    );
    return rows.length > 0;
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
