import { type MessagePort, workerData } from "node:worker_threads";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

/**
 * The Postgres side of `PgConnection`: one client, one request at a time. Each answer is posted
 * back and the waiting thread woken through the shared flag (see pg-connection.ts).
 */
export type PgRequest =
  | { op: "open"; migrationsFolder: string }
  | { op: "query"; sql: string; params: unknown[] }
  | { op: "close" };

export type PgAnswer =
  | { ok: true; rows: Record<string, unknown>[]; rowCount: number }
  | { ok: false; message: string; code: string | null };

/** The advisory lock id that serialises migrations ("cdx" in ASCII). */
const MIGRATION_LOCK = 0x636478;

const { url, port, flag } = workerData as { url: string; port: MessagePort; flag: Int32Array };
// int8 (bigint, count(*)) as a number: counts and epoch milliseconds fit.
pg.types.setTypeParser(20, (value) => Number(value));
let client: pg.Client | null = null;
/** Inside BEGIN … COMMIT: a connection lost here loses the transaction, never half of it. */
let inTransaction = false;
let lostInTransaction = false;

/** The connection, made again if the last one dropped (a restart, a failover, an idle kill). */
async function connection(): Promise<pg.Client> {
  if (client) return client;
  const fresh = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  fresh.on("error", () => {
    if (client === fresh) client = null;
    if (inTransaction) lostInTransaction = true;
    void fresh.end().catch(() => {});
  });
  await fresh.connect();
  client = fresh;
  return fresh;
}

async function handle(request: PgRequest): Promise<PgAnswer> {
  if (request.op === "open") {
    const db = await connection();
    // Replicas starting together migrate one at a time: the others wait, then find it done.
    await db.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(db), { migrationsFolder: request.migrationsFolder });
    } finally {
      await db.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
    return { ok: true, rows: [], rowCount: 0 };
  }
  if (request.op === "close") {
    await client?.end();
    client = null;
    return { ok: true, rows: [], rowCount: 0 };
  }
  const statement = request.sql.trim().toUpperCase();
  if (statement === "ROLLBACK" && lostInTransaction) {
    // The server rolled it back when the connection went.
    inTransaction = false;
    lostInTransaction = false;
    return { ok: true, rows: [], rowCount: 0 };
  }
  if (lostInTransaction)
    throw new Error("the connection was lost inside a transaction; none of it was committed");
  const db = await connection();
  try {
    const result = await db.query(request.sql, request.params);
    if (statement === "BEGIN") inTransaction = true;
    if (statement === "COMMIT" || statement === "ROLLBACK") inTransaction = false;
    return { ok: true, rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    // The connection is gone (a reset, a terminated backend: no SQLSTATE, or class 08 / 57P),
    // whether or not its 'error' event came first: the next call makes a new one, and a
    // transaction it carried is lost whole.
    const code = (error as { code?: unknown }).code;
    const lost =
      client !== db ||
      typeof code !== "string" ||
      !/^[0-9A-Z]{5}$/.test(code) ||
      code.startsWith("08") ||
      code.startsWith("57P");
    if (lost) {
      if (client === db) client = null;
      void db.end().catch(() => {});
      if (inTransaction) lostInTransaction = true;
    }
    throw error;
  }
}

port.on("message", (request: PgRequest) => {
  void handle(request)
    .catch((error: Error & { code?: string; cause?: Error & { code?: string } }): PgAnswer => {
      // drizzle wraps the server's error ("Failed query: …"); the server's own words say why.
      const reason = error.cause instanceof Error ? error.cause : error;
      return {
        ok: false,
        message: reason.message,
        code: typeof reason.code === "string" ? reason.code : null,
      };
    })
    .then((answer) => {
      port.postMessage(answer);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
