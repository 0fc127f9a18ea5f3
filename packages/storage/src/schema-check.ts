import { getTableName, is, Table } from "drizzle-orm";
import { columnsOf } from "./columns";

/** What to do about a database whose tables are not the ones its schema version promises. */
export const SCHEMA_FIX =
  ": it was changed outside coder-dx, or restored from another version's file. Restore a backup this coder-dx wrote, or move the database aside and let the next sync start a new one (coder-dx migrate-store copies a SQLite file's history into a new Postgres one)";

/**
 * The first way the database's tables differ from the schema files (a table or a column
 * missing), or null when every table has every column: a file can say it is schema 6 and not
 * be, and every statement would then fail with a raw "no such column".
 */
export function schemaDrift(
  columnsIn: (table: string) => string[],
  schema: readonly unknown[],
): string | null {
  for (const value of schema) {
    if (!is(value, Table)) continue;
    const name = getTableName(value);
    const present = new Set(columnsIn(name));
    if (present.size === 0) return `it has no table ${name}`;
    const missing = columnsOf(value).filter((c) => !present.has(c.name));
    if (missing.length > 0)
      return `its table ${name} lacks ${missing.map((c) => c.name).join(", ")}`;
  }
  return null;
}
