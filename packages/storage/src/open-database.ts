import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { CoderDxError } from "@coder-dx/core";
import * as schema from "./schema";
import { describeSqliteError } from "./sqlite-errors";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenOptions {
  /**
   * For commands that only read (`runs`, `audit`, `users show`): never creates the file,
   * never migrates it, and works on a file this process may not write.
   */
  readonly?: boolean;
}

/** Migrations live beside the source, or beside the bundle that inlined it (copied at build). */
function migrationsFolder(): string {
  for (const candidate of ["../migrations", "./migrations"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}/meta/_journal.json`)) return path;
  }
  throw new Error("coder-dx storage migrations not found next to the code");
}

/** The schema version this coder-dx writes: the number of migrations it ships. */
export function schemaVersion(folder = migrationsFolder()): number {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

function unusable(path: string, why: string): CoderDxError {
  return new CoderDxError("store_unusable", `database ${path}: ${why}`);
}

/**
 * The one way to open the store: WAL (readers never block the writer, a crash loses
 * nothing committed), a busy timeout so the CLI and the server can share the file, migrations
 * applied, and the schema version recorded in `user_version`. Anything that makes the file
 * unusable (not SQLite, corrupted, read-only for a command that writes, written by a newer
 * coder-dx, missing for a command that only reads) is one `store_unusable` error naming the
 * file, before any call to Coder or DX. `:memory:` works for tests.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const readonly = options.readonly === true && path !== ":memory:";
  if (readonly && !existsSync(path)) {
    throw unusable(
      path,
      "no such file; a sync creates it (check --db or CODER_DX_DB if one already exists elsewhere)",
    );
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw unusable(path, describeSqliteError(error));
  }
  try {
    const folder = migrationsFolder();
    const ours = schemaVersion(folder);
    // The first read of the header: a file that is not SQLite fails here.
    const theirs = sqlite.pragma("user_version", { simple: true }) as number;
    if (theirs > ours) {
      throw unusable(
        path,
        `written by a newer coder-dx (schema ${theirs}; this one knows ${ours}); upgrade coder-dx to use it`,
      );
    }
    sqlite.pragma("busy_timeout = 5000");
    if (readonly) {
      if (theirs < ours) {
        throw unusable(
          path,
          `its schema (${theirs}) is older than this coder-dx's (${ours}); run a command that writes (coder-dx sync --dry-run) once to upgrade it`,
        );
      }
    } else {
      sqlite.pragma("journal_mode = WAL");
      sqlite.pragma("synchronous = NORMAL");
      sqlite.pragma("foreign_keys = ON");
      // A write rolled back proves the file (and its directory, for WAL) can be written.
      sqlite.exec("BEGIN IMMEDIATE; CREATE TABLE coder_dx_write_probe (x); ROLLBACK;");
      migrate(drizzle(sqlite, { schema }), { migrationsFolder: folder });
      if (theirs !== ours) sqlite.pragma(`user_version = ${ours}`);
    }
    // Reading the schema proves the pages behind it are sound.
    sqlite.prepare("SELECT count(*) FROM sqlite_master").get();
    sqlite.prepare("SELECT id FROM runs ORDER BY id DESC LIMIT 1").get();
  } catch (error) {
    sqlite.close();
    if (error instanceof CoderDxError) throw error;
    throw unusable(path, describeSqliteError(error));
  }
  return drizzle(sqlite, { schema }) as Db;
}
