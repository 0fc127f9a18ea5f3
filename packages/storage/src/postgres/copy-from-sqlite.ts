import { CoderDxError } from "@coder-dx/core";
import { getTableColumns, is, type Table } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import { columnsOf, tableName } from "../columns";
import type { Db } from "../sqlite/open-database";
import * as sqliteSchema from "../sqlite/schema";
import type { PgConnection } from "./pg-connection";

/** Rows per INSERT while copying. */
const BATCH = 500;

/** Rows copied, by table (`user_state` reported as `states`). */
export type Copied = Record<string, number>;

/** What `Copied` calls a table, where that differs from its SQL name. */
const REPORTED_AS: Record<string, string> = { user_state: "states" };

/** Tables of a moment, not of the history: who holds the lease, who shares the DX budget. */
const NOT_COPIED = new Set(["lease", "budget_members"]);

/**
 * Every table of the SQLite schema but those of the moment (`NOT_COPIED`), in dependency-free
 * order: the schema files are the list, so a new table is copied without anything here to keep
 * in step.
 */
function copiedTables(): Table[] {
  const tables: Table[] = [];
  for (const value of Object.values(sqliteSchema) as unknown[])
    if (is(value, SQLiteTable) && !NOT_COPIED.has(tableName(value))) tables.push(value);
  return tables;
}

/**
 * Copies a SQLite database's history into an empty Postgres one (`migrate-store`): runs,
 * audit rows, pushed states, holds, adopted values and deliveries, ids kept (cursors and links
 * stay valid), in one transaction: all of it lands or none. The lease is not copied. Column
 * lists come from the schema files; SQLite's 0/1 become Postgres booleans, its JSON text jsonb.
 */
export function copySqliteToPostgres(source: Db, target: PgConnection): Copied {
  const [present] = target.query<{ n: number }>(
    "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM changes) + (SELECT count(*) FROM user_state) AS n",
  );
  if ((present?.n ?? 0) > 0)
    throw new CoderDxError(
      "usage_invalid",
      `${target.where} already holds runs, audit rows or states; migrate-store copies into an empty database only`,
    );
  const copied: Copied = {};
  target.transaction(() => {
    for (const table of copiedTables()) {
      const name = tableName(table);
      const columns = columnsOf(table);
      const serial = "id" in getTableColumns(table);
      const booleans = columns.map((c) => c.column.columnType === "SQLiteBoolean");
      const reported = REPORTED_AS[name] ?? name;
      copied[reported] = 0;
      const rows = source.$client
        .prepare(
          `SELECT ${columns.map((c) => c.name).join(", ")} FROM ${name}${serial ? " ORDER BY id" : ""}`,
        )
        .raw(true)
        .iterate() as Iterable<unknown[]>;
      let batch: unknown[][] = [];
      const flush = () => {
        if (batch.length === 0) return;
        const width = columns.length;
        const tuples = batch.map(
          (_, i) => `(${columns.map((_, k) => `$${i * width + k + 1}`).join(", ")})`,
        );
        target.query(
          `INSERT INTO ${name} (${columns.map((c) => c.name).join(", ")}) VALUES ${tuples.join(", ")}`,
          batch.flat(),
        );
        copied[reported] = (copied[reported] ?? 0) + batch.length;
        batch = [];
      };
      for (const row of rows) {
        batch.push(row.map((value, i) => (booleans[i] ? value === 1 : value)));
        if (batch.length === BATCH) flush();
      }
      flush();
      if (serial)
        target.query(
          `SELECT setval(pg_get_serial_sequence('${name}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM ${name}`,
        );
    }
  });
  return copied;
}
