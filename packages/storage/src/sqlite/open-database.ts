import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { CoderDxError } from "@coder-dx/core";
import { SCHEMA_FIX, schemaDrift } from "../schema-check";
import * as schema from "./schema";
import { describeSqliteError } from "./sqlite-errors";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenOptions {
  /**
   * For commands that only read (`runs`, `audit`, `users show`): never creates the file,
   * never migrates it, and works on a file this process may not write.
   */
  readonly?: boolean;
  /**
   * A second connection to a file this process has opened and migrated already (the run's
   * journal): no write probe and no migration, which would take the write lock from under the
   * first; the schema must be this coder-dx's.
   */
  companion?: boolean;
}

/**
 * Migrations live in the package (from source: src/sqlite/), or beside the bundle that inlined
 * this file (copied at build: dist/main.js, dist/workers/*.js).
 */
function migrationsFolder(): string {
  for (const candidate of ["../../migrations", "./migrations", "../migrations"]) {
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

// better-sqlite3 reads this when its native addon loads (at the first `new Database`): URI
// filenames let a read-only command open a database on read-only media (`immutable=1`).
// Plain paths are unaffected; only names starting with "file:" are read as URIs.
process.env.SQLITE_USE_URI ??= "1";

/**
 * Opens for reading only. A WAL database needs its `-shm` file, which SQLite cannot create on
 * read-only media (a read-only mount, a backup volume); there, nothing can change the file
 * either, so it is opened as immutable.
 */
function openReadonly(path: string): Database.Database {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    // SQLite opens lazily: the first read is where a missing -shm shows.
    sqlite.pragma("user_version");
    return sqlite;
  } catch (error) {
    sqlite.close();
    if ((error as { code?: string }).code !== "SQLITE_CANTOPEN") throw error;
    return new Database(`${pathToFileURL(resolve(path)).href}?immutable=1`, { readonly: true });
  }
}

/** Whether this process may write the file and the directory beside it (WAL files live there). */
function writable(path: string): boolean {
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
    if (existsSync(path)) accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function describeOpenError(path: string, error: unknown, readonly: boolean): string {
  const code = (error as { code?: string }).code ?? "";
  if (!readonly && /^SQLITE_(CANTOPEN|READONLY)/.test(code) && !writable(path)) {
    return `read-only: this process may not write it or its directory (${code}); commands that only read (runs, audit, users show) still work`;
  }
  return describeSqliteError(error);
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
    sqlite = readonly ? openReadonly(path) : new Database(path);
  } catch (error) {
    throw unusable(path, describeOpenError(path, error, readonly));
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
    } else if (options.companion) {
      if (theirs !== ours)
        throw unusable(path, `its schema (${theirs}) is not this coder-dx's (${ours})`);
      sqlite.pragma("synchronous = NORMAL");
      sqlite.pragma("foreign_keys = ON");
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
    const drift = schemaDrift(
      (table) =>
        (sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map(
          (c) => c.name,
        ),
      Object.values(schema),
    );
    if (drift) throw unusable(path, `${drift} (schema ${ours} says it should)${SCHEMA_FIX}`);
  } catch (error) {
    sqlite.close();
    if (error instanceof CoderDxError) throw error;
    throw unusable(path, describeOpenError(path, error, readonly));
  }
  return drizzle(sqlite, { schema }) as Db;
}
