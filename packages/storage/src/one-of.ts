import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/**
 * A CHECK that a text column holds one of core's names (the values are constants, never input),
 * for the SQLite and the Postgres schema alike.
 */
export function oneOf(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} IN (${sql.raw(values.map((v) => `'${v}'`).join(", "))})`;
}
