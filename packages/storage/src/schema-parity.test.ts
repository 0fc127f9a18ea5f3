import { is } from "drizzle-orm";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as pg from "./postgres/schema";
import * as sqlite from "./sqlite/schema";

/** A table as both dialects must agree on it: columns (code key, SQL name, nullability), checks, indexes. */
function shape(config: {
  name: string;
  columns: { name: string; notNull: boolean }[];
  checks: { name: string }[];
  indexes: { config: { name?: string | undefined } }[];
}) {
  return {
    columns: config.columns.map((c) => `${c.name}${c.notNull ? "" : "?"}`).sort(),
    checks: config.checks.map((c) => c.name).sort(),
    indexes: config.indexes.map((i) => i.config.name).sort(),
  };
}

describe("the two schemas", () => {
  const sqliteTables = new Map(
    Object.values(sqlite as Record<string, unknown>)
      .filter((t): t is SQLiteTable => is(t, SQLiteTable))
      .map((t) => [sqliteConfig(t).name, shape(sqliteConfig(t))]),
  );
  const pgTables = new Map(
    Object.values(pg as Record<string, unknown>)
      .filter((t): t is PgTable => is(t, PgTable))
      .map((t) => [pgConfig(t).name, shape(pgConfig(t))]),
  );

  it("hold the same tables", () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
  });

  it.each([...sqliteTables.keys()])(
    "agree on %s: its columns, CHECK constraints and indexes",
    (name) => {
      expect(pgTables.get(name)).toEqual(sqliteTables.get(name));
    },
  );
});
