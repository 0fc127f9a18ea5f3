import { hostname } from "node:os";
import {
  type ChangeQuery,
  type ChangeReceipt,
  type ChangeRow,
  emptyRunCounts,
  type FinishRun,
  type NewChange,
  type Page,
  type Run,
  type StartRun,
  type SyncStore,
  stateAfterReceipt,
  type UserState,
} from "@coder-dx/core";
import { and, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "./open-database";
import { changes, lease, runs } from "./schema";

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
    counts: row.counts,
    sourceCount: row.sourceCount,
    scoped: row.scoped,
  };
}

function toChange(row: ChangeRecord): ChangeRow {
  return { ...row, id: String(row.id) };
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

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** A holder is `host:pid:nonce`; on this host, a holder whose pid is gone has died. */
function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(":");
  if (host !== hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** A cursor is the id of the last row of the previous page. */
function cursorId(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Number(cursor);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

/**
 * The SyncStore on SQLite. Queries go through drizzle; the per-user hot paths of a run
 * (intents, receipts, state) use statements prepared once, which a 100,000-user sync
 * runs hundreds of thousands of times.
 */
export class SqliteSyncStore implements SyncStore {
  private readonly sql;

  constructor(readonly db: Db) {
    const client = db.$client;
    this.sql = {
      insertChange: client.prepare(
        `INSERT INTO changes (run_id, at, email, coder_user_id, kind, action, before, after, observed, outcome, error, attempts, note)
         VALUES (@runId, @at, @email, @coderUserId, @kind, @action, @before, @after, @observed, @outcome, @error, @attempts, @note)`,
      ),
      settleChange: client.prepare(
        "UPDATE changes SET outcome = @outcome, error = @error, attempts = @attempts WHERE id = @id",
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
    const row = this.db
      .insert(runs)
      .values({ status: "running", ...input, counts: emptyRunCounts() })
      .returning()
      .get();
    return toRun(row);
  }

  finishRun(id: string, result: FinishRun): Run {
    const row = this.db
      .update(runs)
      .set(result)
      .where(eq(runs.id, Number(id)))
      .returning()
      .get();
    if (!row) throw new Error(`no run ${id}`);
    return toRun(row);
  }

  getRun(id: string): Run | null {
    const key = Number(id);
    if (!Number.isSafeInteger(key)) return null;
    const row = this.db.select().from(runs).where(eq(runs.id, key)).get();
    return row ? toRun(row) : null;
  }

  listRuns({ limit, cursor }: { limit: number; cursor?: string | undefined }): Page<Run> {
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
  }

  lastSourceCount(): number | null {
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
  }

  closeAbandonedRuns(at: string, reason: string): Run[] {
    return this.db.transaction((tx) => {
      const closed = tx
        .update(runs)
        .set({ status: "failed", finishedAt: at, error: { code: "internal", message: reason } })
        .where(eq(runs.status, "running"))
        .returning()
        .all();
      if (closed.length > 0) {
        tx.update(changes)
          .set({ outcome: "skipped" })
          .where(
            and(
              inArray(
                changes.runId,
                closed.map((r) => String(r.id)),
              ),
              eq(changes.outcome, "pending"),
            ),
          )
          .run();
      }
      return closed.map(toRun);
    });
  }

  loadUserStates(): Map<string, UserState> {
    const states = new Map<string, UserState>();
    for (const row of this.sql.allStates.iterate() as IterableIterator<RawState>)
      states.set(row.email, fromRawState(row));
    return states;
  }

  getUserState(email: string): UserState | null {
    const row = this.sql.getState.get(email.toLowerCase()) as RawState | undefined;
    return row ? fromRawState(row) : null;
  }

  adoptUserStates(states: UserState[]): void {
    if (states.length === 0) return;
    this.db.$client.transaction(() => {
      for (const state of states) this.sql.upsertState.run(toRawState(state));
    })();
  }

  insertChanges(rows: NewChange[]): string[] {
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
          }).lastInsertRowid,
        ),
      ),
    )();
  }

  settleChanges(receipts: ChangeReceipt[]): void {
    if (receipts.length === 0) return;
    this.db.$client.transaction(() => {
      for (const receipt of receipts) {
        this.sql.settleChange.run({
          id: Number(receipt.changeId),
          outcome: receipt.outcome,
          error: json(receipt.error),
          attempts: receipt.attempts,
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
  }

  listChanges(query: ChangeQuery): Page<ChangeRow> {
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
  }

  acquireLease(holder: string, now: number, ttlMs: number): boolean {
    // IMMEDIATE: two processes racing for a free lease serialise on the write lock.
    return this.db.$client
      .transaction(() => {
        const current = this.db.select().from(lease).where(eq(lease.name, LEASE)).get();
        if (
          current &&
          current.holder !== holder &&
          current.expiresAt > now &&
          !holderIsDead(current.holder)
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
  }

  renewLease(holder: string, now: number, ttlMs: number): boolean {
    const result = this.db
      .update(lease)
      .set({ expiresAt: now + ttlMs })
      .where(and(eq(lease.name, LEASE), eq(lease.holder, holder)))
      .run();
    return result.changes > 0;
  }

  releaseLease(holder: string): void {
    this.db
      .delete(lease)
      .where(and(eq(lease.name, LEASE), eq(lease.holder, holder)))
      .run();
  }
}
