import { hostname } from "node:os";
import type {
  ChangeQuery,
  ChangeReceipt,
  ChangeRow,
  FinishRun,
  NewChange,
  Page,
  Run,
  RunCounts,
  StartRun,
  SyncStore,
  UserState,
} from "@coder-dx/core";
import { and, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "./open-database";
import { changes, lease, runs, userState } from "./schema";

const EMPTY_COUNTS: RunCounts = {
  users: 0,
  unchanged: 0,
  changed: 0,
  applied: 0,
  rejected: 0,
  invalid: 0,
  excluded: 0,
  unmatched: 0,
  drift: 0,
};
const LEASE = "sync";

type RunRow = typeof runs.$inferSelect;
type ChangeRecord = typeof changes.$inferSelect;
type StateRow = typeof userState.$inferSelect;

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

function toState(row: StateRow): UserState {
  return { ...row };
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

export class SqliteSyncStore implements SyncStore {
  constructor(readonly db: Db) {}

  startRun(input: StartRun): Run {
    const row = this.db
      .insert(runs)
      .values({ status: "running", ...input, counts: EMPTY_COUNTS })
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
    for (const row of this.db.select().from(userState).all()) states.set(row.email, toState(row));
    return states;
  }

  getUserState(email: string): UserState | null {
    const row = this.db
      .select()
      .from(userState)
      .where(eq(userState.email, email.toLowerCase()))
      .get();
    return row ? toState(row) : null;
  }

  adoptUserStates(states: UserState[]): void {
    if (states.length === 0) return;
    this.db.transaction((tx) => {
      for (const state of states) {
        tx.insert(userState)
          .values(state)
          .onConflictDoUpdate({ target: userState.email, set: state })
          .run();
      }
    });
  }

  insertChanges(rows: NewChange[]): string[] {
    if (rows.length === 0) return [];
    return this.db.transaction((tx) => {
      const ids: string[] = [];
      // SQLite caps bound parameters per statement; 13 columns × 500 rows stays under it.
      for (let i = 0; i < rows.length; i += 500) {
        const inserted = tx
          .insert(changes)
          .values(rows.slice(i, i + 500))
          .returning({ id: changes.id })
          .all();
        for (const { id } of inserted) ids.push(String(id));
      }
      return ids;
    });
  }

  settleChanges(receipts: ChangeReceipt[]): void {
    if (receipts.length === 0) return;
    this.db.transaction((tx) => {
      for (const receipt of receipts) {
        tx.update(changes)
          .set({ outcome: receipt.outcome, error: receipt.error, attempts: receipt.attempts })
          .where(eq(changes.id, Number(receipt.changeId)))
          .run();
        const update = receipt.state;
        if (!update) continue;
        const current = tx.select().from(userState).where(eq(userState.email, update.email)).get();
        const next: StateRow = current ?? {
          email: update.email,
          coderUserId: update.coderUserId,
          attributes: {},
          properties: {},
          updatedAt: receipt.at,
          unmatchedAt: null,
          unmatchedAttributes: null,
        };
        if (update.type === "confirmed") {
          const field = update.kind === "attributes" ? "attributes" : "properties";
          next[field] = { ...next[field], ...update.values };
          Object.assign(next, {
            coderUserId: update.coderUserId,
            updatedAt: receipt.at,
            unmatchedAt: null,
            unmatchedAttributes: null,
          });
        } else {
          Object.assign(next, { unmatchedAt: receipt.at, unmatchedAttributes: update.attributes });
        }
        tx.insert(userState)
          .values(next)
          .onConflictDoUpdate({ target: userState.email, set: next })
          .run();
      }
    });
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
