import { type Column, getTableColumns, getTableName, type Table } from "drizzle-orm";

/** One column of a table: its key in code (`runId`) and its name in SQL (`run_id`). */
export interface ColumnInfo {
  key: string;
  name: string;
  column: Column;
}

const cache = new WeakMap<Table, ColumnInfo[]>();

/**
 * A table's columns in the order its schema file declares them. Every column list the stores
 * need (inserts, the SQLite → Postgres copy, the audit CSV) is read from here, so a column is
 * named once: in the schema file.
 */
export function columnsOf(table: Table): ColumnInfo[] {
  let columns = cache.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
      key,
      name: column.name,
      column,
    }));
    cache.set(table, columns);
  }
  return columns;
}

export function tableName(table: Table): string {
  return getTableName(table);
}

/**
 * A row as the driver returned it (SQL names; JSON as text on SQLite, booleans as 0/1) as the
 * table's typed row: the same decoding drizzle applies to its own queries, so both stores read
 * their raw statements into the same `$inferSelect` shapes.
 */
export function decodeRow<T extends Table>(
  table: T,
  raw: Record<string, unknown>,
): T["$inferSelect"] {
  const row: Record<string, unknown> = {};
  for (const { key, name, column } of columnsOf(table)) {
    const value = raw[name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T["$inferSelect"];
}

/**
 * Values by key as the driver takes them (JSON as text, booleans as the dialect keeps them);
 * absent and null values stay SQL NULL.
 */
export function encodeValues(
  table: Table,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const encoded: Record<string, unknown> = {};
  for (const { key, column } of columnsOf(table)) {
    if (!(key in values)) continue;
    const value = values[key];
    encoded[key] = value === null || value === undefined ? null : column.mapToDriverValue(value);
  }
  return encoded;
}

/** How a statement names the value of column `key` in its `row`-th row (0-based). */
export type ValueSlot = (key: string, row: number) => string;

/** The columns an insert names: all but an autoincrement `id`, which the database assigns. */
export function insertedColumns(table: Table): ColumnInfo[] {
  return columnsOf(table).filter((c) => c.key !== "id");
}

/** `INSERT INTO <table> (<columns>) VALUES (…), …` for `rows` rows, from the schema file. */
export function insertSql(table: Table, rows: number, slot: ValueSlot): string {
  const columns = insertedColumns(table);
  const tuples = Array.from(
    { length: rows },
    (_, row) => `(${columns.map((c) => slot(c.key, row)).join(", ")})`,
  );
  return `INSERT INTO ${tableName(table)} (${columns.map((c) => c.name).join(", ")}) VALUES ${tuples.join(", ")}`;
}

/** The insert, or where `key` (the primary key's column) exists, an update of every other column. */
export function upsertSql(
  table: Table,
  key: string | readonly string[],
  rows: number,
  slot: ValueSlot,
): string {
  const keys = typeof key === "string" ? [key] : key;
  const others = insertedColumns(table).filter((c) => !keys.includes(c.name));
  return `${insertSql(table, rows, slot)} ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${others.map((c) => `${c.name} = excluded.${c.name}`).join(", ")}`;
}

/** `$1, $2, …` numbered row by row: Postgres's placeholders for a multi-row statement. */
export function numberedSlots(table: Table): ValueSlot {
  const columns = insertedColumns(table);
  const position = new Map(columns.map((c, i) => [c.key, i]));
  return (key, row) => `$${row * columns.length + (position.get(key) as number) + 1}`;
}

/** The values of `rows` in the order `numberedSlots` numbers them, encoded for the driver. */
export function rowParams(table: Table, rows: readonly Record<string, unknown>[]): unknown[] {
  const columns = insertedColumns(table);
  const params: unknown[] = [];
  for (const row of rows) {
    const encoded = encodeValues(table, row);
    for (const { key } of columns) params.push(encoded[key] ?? null);
  }
  return params;
}
