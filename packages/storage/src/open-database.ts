import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { CoderDxError } from "@coder-dx/core";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Migrations live beside the source, or beside the bundle that inlined it (copied at build). */
function migrationsFolder(): string {
  for (const candidate of ["../migrations", "./migrations"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}/meta/_journal.json`)) return path;
  }
  throw new Error("coder-dx storage migrations not found next to the code");
}

/**
 * The one way to open the store: WAL (readers never block the writer, a crash loses
 * nothing committed), a busy timeout so the CLI and the server can share the file,
 * and migrations applied. `:memory:` works for tests.
 */
export function openDatabase(path: string): Db {
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (error) {
    throw new CoderDxError(
      "config_invalid",
      `database ${path}: cannot open: ${(error as Error).message}`,
    );
  }
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: migrationsFolder() });
  return db;
}
