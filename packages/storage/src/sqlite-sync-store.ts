import { statSync } from "node:fs";
import {
  baselineBefore,
  type ChangeJournal,
  type ChangeQuery,
  type ChangeReceipt,
  type ChangeRow,
  CoderDxError,
  emptyRunCounts,
  type ErrorInfo,
  type FinishRun,
  type NewChange,
  type Page,
  type Delivery,
  type HeldValues,
  type HoldUpdate,
  type Holds,
  mergeOldestFirst,
  type NewDelivery,
  type Pruned,
  type Run,
  type RunStatus,
  type StartRun,
  type SyncStore,
  stateAfterReceipt,
  type UserState,
} from "@coder-dx/core";
import { and, desc, eq, gte, inArray, isNotNull, lt, ne, type SQL } from "drizzle-orm";
import type { Db } from "./open-database";
import { describeSqliteError } from "./sqlite-errors";
import { WorkerJournal } from "./journal";
import { changes, deliveries, holds, lease, runs } from "./schema";

/** Audit rows deleted per transaction by `prune`. */
const PRUNE_CHUNK = 5000;

const LEASE = "sync";

type RunRow = typeof runs.$inferSelect;
type ChangeRecord = typeof changes.$inferSelect;

function toRun(row: RunRow): Run {
  return {
    id: String(row.id),
    status: row.status,
    dryRun: row.dryRun,
    trigger: row.trigger,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.error,
    // Runs recorded before a count existed read it as 0.
    counts: { ...emptyRunCounts(), ...row.counts },
    sourceCount: row.sourceCount,
    scoped: row.scoped,
  };
}

function toChange(row: ChangeRecord): ChangeRow {
  return { ...row, id: String(row.id), evidence: row.evidence ?? null };
}

/** `user_state` as SQLite returns it: snake_case columns, JSON as text. */
interface RawState {
  email: string;
  coder_user_id: string | null;
  attributes: string;
  properties: string;
  updated_at: string;
  unmatched_at: string | null;
  unmatched_attributes: string | null;
}

function fromRawState(row: RawState): UserState {
  return {
    email: row.email,
    coderUserId: row.coder_user_id,
    attributes: JSON.parse(row.attributes),
    properties: JSON.parse(row.properties),
    updatedAt: row.updated_at,
    unmatchedAt: row.unmatched_at,
    unmatchedAttributes:
      row.unmatched_attributes === null ? null : JSON.parse(row.unmatched_attributes),
  };
}

function toRawState(state: UserState) {
  return {
    ...state,
    attributes: JSON.stringify(state.attributes),
    properties: JSON.stringify(state.properties),
    unmatchedAttributes: json(state.unmatchedAttributes),
  };
}

function toRawAdoption(step: HeldValues) {
  return { at: step.at, email: step.email, attributes: JSON.stringify(step.after) };
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** A cursor is the id of the last row of the previous page. */
function cursorId(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Number(cursor);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

/** The file's identity: a database replaced or deleted under a running process is detected. */
function fileIdentity(path: string): string | null {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

/**
 * The SyncStore on SQLite. Queries go through drizzle; the per-user hot paths of a run
 * (intents, receipts, state) use statements prepared once, which a 100,000-user sync
 * runs hundreds of thousands of times. Every failure leaves as one `store_failed` error that
 * names the file and says what happened in words (a full disk, a lock held too long).
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
      insertChange: client.prepare(
        `INSERT INTO changes (run_id, at, email, coder_user_id, kind, action, before, after, observed, outcome, error, attempts, note, evidence)
         VALUES (@runId, @at, @email, @coderUserId, @kind, @action, @before, @after, @observed, @outcome, @error, @attempts, @note, @evidence)`,
      ),
      settleChange: client.prepare(
        "UPDATE changes SET outcome = @outcome, error = @error, attempts = @attempts, note = coalesce(@note, note) WHERE id = @id",
      ),
      insertAdoption: client.prepare(
        "INSERT INTO adoptions (at, email, attributes) VALUES (@at, @email, @attributes)",
      ),
      getState: client.prepare("SELECT * FROM user_state WHERE email = ?"),
      allStates: client.prepare("SELECT * FROM user_state"),
      upsertState: client.prepare(
        `INSERT INTO user_state (email, coder_user_id, attributes, properties, updated_at, unmatched_at, unmatched_attributes)
         VALUES (@email, @coderUserId, @attributes, @properties, @updatedAt, @unmatchedAt, @unmatchedAttributes)
         ON CONFLICT (email) DO UPDATE SET coder_user_id = excluded.coder_user_id, attributes = excluded.attributes,
           properties = excluded.properties, updated_at = excluded.updated_at, unmatched_at = excluded.unmatched_at,
           unmatched_attributes = excluded.unmatched_attributes`,
      ),
    };
  }

  startRun(input: StartRun): Run {
    return this.guard(() => {
      // `.run()`, not `RETURNING … .get()`: a RETURNING row arrives before the commit, and a
      // commit that fails (a full disk) must fail the call rather than pass unseen.
      const { lastInsertRowid } = this.db
        .insert(runs)
        .values({ status: "running", ...input, counts: emptyRunCounts() })
        .run();
      return toRun(
        this.db
          .select()
          .from(runs)
          .where(eq(runs.id, Number(lastInsertRowid)))
          .get() as RunRow,
      );
    });
  }

  finishRun(id: string, result: FinishRun): Run {
    return this.guard(() => {
      const { changes: updated } = this.db
        .update(runs)
        .set(result)
        .where(eq(runs.id, Number(id)))
        .run();
      if (updated === 0) throw new Error(`the database has no run ${id}`);
      return toRun(
        this.db
          .select()
          .from(runs)
          .where(eq(runs.id, Number(id)))
          .get() as RunRow,
      );
    });
  }

  getRun(id: string): Run | null {
    return this.guard(() => {
      const key = Number(id);
      if (!Number.isSafeInteger(key)) return null;
      const row = this.db.select().from(runs).where(eq(runs.id, key)).get();
      return row ? toRun(row) : null;
    });
  }

  listRuns({ limit, cursor }: { limit: number; cursor?: string | undefined }): Page<Run> {
    return this.guard(() => {
      const after = cursorId(cursor);
      const rows = this.db
        .select()
        .from(runs)
        .where(after === undefined ? undefined : lt(runs.id, after))
        .orderBy(desc(runs.id))
        .limit(limit + 1)
        .all();
      const items = rows.slice(0, limit).map(toRun);
      return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
    });
  }

  lastFinishedRun(status?: RunStatus): Run | null {
    return this.guard(() => {
      const row = this.db
        .select()
        .from(runs)
        .where(
          and(
            isNotNull(runs.finishedAt),
            eq(runs.dryRun, false),
            status ? eq(runs.status, status) : undefined,
          ),
        )
        .orderBy(desc(runs.id))
        .limit(1)
        .get();
      return row ? toRun(row) : null;
    });
  }

  lastSourceCount(): number | null {
    return this.guard(() => {
      const row = this.db
        .select({ sourceCount: runs.sourceCount })
        .from(runs)
        .where(
          and(
            inArray(runs.status, ["succeeded", "partial"]),
            eq(runs.dryRun, false),
            eq(runs.scoped, false),
          ),
        )
        .orderBy(desc(runs.id))
        .limit(1)
        .get();
      return row?.sourceCount ?? null;
    });
  }

  closeAbandonedRuns(at: string, error: ErrorInfo): Run[] {
    return this.guard(() =>
      this.db
        .update(runs)
        .set({ status: "failed", finishedAt: at, error })
        .where(eq(runs.status, "running"))
        .returning()
        .all()
        .map(toRun),
    );
  }

  listPendingChanges(exceptRunId: string): ChangeRow[] {
    return this.guard(() =>
      this.db
        .select()
        .from(changes)
        .where(and(eq(changes.outcome, "pending"), ne(changes.runId, exceptRunId)))
        .orderBy(changes.id)
        .all()
        .map(toChange),
    );
  }

  loadUserStates(): Map<string, UserState> {
    return this.guard(() => {
      const states = new Map<string, UserState>();
      for (const row of this.sql.allStates.iterate() as IterableIterator<RawState>)
        states.set(row.email, fromRawState(row));
      return states;
    });
  }

  getUserState(email: string): UserState | null {
    return this.guard(() => {
      const row = this.sql.getState.get(email.toLowerCase()) as RawState | undefined;
      return row ? fromRawState(row) : null;
    });
  }

  adoptUserStates(states: UserState[]): void {
    return this.guard(() => {
      if (states.length === 0) return;
      this.db.$client.transaction(() => {
        for (const state of states) {
          this.sql.upsertState.run(toRawState(state));
          this.sql.insertAdoption.run(
            toRawAdoption({ at: state.updatedAt, email: state.email, after: state.attributes }),
          );
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
            this.sql.insertChange.run({
              ...row,
              before: json(row.before),
              after: json(row.after),
              observed: json(row.observed),
              error: json(row.error),
              evidence: json(row.evidence ?? null),
            }).lastInsertRowid,
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
            error: json(receipt.error),
            attempts: receipt.attempts,
            note: receipt.note ?? null,
          });
          if (!receipt.state) continue;
          const current = this.sql.getState.get(receipt.state.email) as RawState | undefined;
          const next = stateAfterReceipt(current ? fromRawState(current) : null, {
            ...receipt,
            state: receipt.state,
          });
          this.sql.upsertState.run(toRawState(next));
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
    return this.guard(() => {
      const conditions: SQL[] = [];
      if (query.email !== undefined)
        conditions.push(eq(changes.email, query.email.trim().toLowerCase()));
      if (query.runId !== undefined) conditions.push(eq(changes.runId, query.runId));
      if (query.outcome !== undefined) conditions.push(eq(changes.outcome, query.outcome));
      if (query.since !== undefined) conditions.push(gte(changes.at, query.since));
      if (query.until !== undefined) conditions.push(lt(changes.at, query.until));
      const after = cursorId(query.cursor);
      if (after !== undefined) conditions.push(lt(changes.id, after));
      const rows = this.db
        .select()
        .from(changes)
        .where(and(...conditions))
        .orderBy(desc(changes.id))
        .limit(query.limit + 1)
        .all();
      const items = rows.slice(0, query.limit).map(toChange);
      return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
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
      this.db.transaction((tx) => {
        for (const { email, holds: record } of updates) {
          tx.delete(holds).where(eq(holds.email, email)).run();
          const rows = Object.entries(record).map(([groupName, since]) => ({
            email,
            groupName,
            since,
          }));
          if (rows.length > 0) tx.insert(holds).values(rows).run();
        }
      });
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
      const row = this.db
        .select()
        .from(changes)
        .where(eq(changes.email, email.trim().toLowerCase()))
        .orderBy(desc(changes.id))
        .limit(1)
        .get();
      return row ? toChange(row) : null;
    });
  }

  recordDelivery(delivery: NewDelivery): void {
    this.guard(() => {
      this.db.insert(deliveries).values(delivery).run();
    });
  }

  listDeliveries(runId: string): Delivery[] {
    return this.guard(() =>
      this.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.runId, runId))
        .orderBy(deliveries.id)
        .all()
        .map((row) => ({ ...row, id: String(row.id) })),
    );
  }

  prune(before: string): Pruned {
    return this.guard(() => {
      const client = this.db.$client;
      // First, everyone's values at the cut replace the history before it (one transaction):
      // the report stays exact from `before` on, and a prune stopped half way loses nothing.
      const baseline = baselineBefore(this.attributeHistory(before), before);
      client.transaction(() => {
        client.prepare("DELETE FROM adoptions WHERE at < ?").run(before);
        for (const step of baseline) this.sql.insertAdoption.run(toRawAdoption(step));
      })();
      // In chunks, each its own short transaction: a server answering reads is never held up
      // for the whole prune. Ends because every chunk removes rows older than `before`,
      // which no writer adds.
      const chunk = client.prepare(
        `DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE at < ? AND outcome <> 'pending' ORDER BY id LIMIT ${PRUNE_CHUNK})`,
      );
      let changesRemoved = 0;
      for (let removed = PRUNE_CHUNK; removed === PRUNE_CHUNK; ) {
        removed = chunk.run(before).changes;
        changesRemoved += removed;
      }
      const deliveriesRemoved = client
        .prepare("DELETE FROM deliveries WHERE at < ?")
        .run(before).changes;
      // Kept: runs with rows left, and the runs the brake, the metrics and the alert read.
      const runsRemoved = client
        .prepare(
          `DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?
             AND CAST(id AS TEXT) NOT IN (SELECT DISTINCT run_id FROM changes)
             AND id NOT IN (
               SELECT coalesce(max(id), 0) FROM runs
                 WHERE status IN ('succeeded', 'partial') AND dry_run = 0 AND scoped = 0
               UNION SELECT coalesce(max(id), 0) FROM runs WHERE status = 'succeeded' AND dry_run = 0
               UNION SELECT coalesce(max(id), 0) FROM runs WHERE finished_at IS NOT NULL AND dry_run = 0
             )`,
        )
        .run(before).changes;
      return { changes: changesRemoved, runs: runsRemoved, deliveries: deliveriesRemoved };
    });
  }

  acquireLease(
    holder: string,
    now: number,
    ttlMs: number,
    isDead: (holder: string) => boolean,
  ): boolean {
    return this.guard(() => {
      // IMMEDIATE: two processes racing for a free lease serialise on the write lock.
      return this.db.$client
        .transaction(() => {
          const current = this.db.select().from(lease).where(eq(lease.name, LEASE)).get();
          if (
            current &&
            current.holder !== holder &&
            current.expiresAt > now &&
            !isDead(current.holder)
          )
            return false;
          const row = { name: LEASE, holder, expiresAt: now + ttlMs };
          this.db
            .insert(lease)
            .values(row)
            .onConflictDoUpdate({ target: lease.name, set: row })
            .run();
          return true;
        })
        .immediate();
    });
  }

  renewLease(holder: string, now: number, ttlMs: number): boolean {
    return this.guard(() => {
      const result = this.db
        .update(lease)
        .set({ expiresAt: now + ttlMs })
        .where(and(eq(lease.name, LEASE), eq(lease.holder, holder)))
        .run();
      return result.changes > 0;
    });
  }

  releaseLease(holder: string): void {
    return this.guard(() => {
      this.db
        .delete(lease)
        .where(and(eq(lease.name, LEASE), eq(lease.holder, holder)))
        .run();
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
