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
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
let connected = false;

async function handle(request: PgRequest): Promise<PgAnswer> {
  if (request.op === "open") {
    if (!connected) {
      await client.connect();
      connected = true;
      client.on("error", () => {
        connected = false;
      });
    }
    // Replicas starting together migrate one at a time: the others wait, then find it done.
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder: request.migrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
    return { ok: true, rows: [], rowCount: 0 };
  }
  if (request.op === "close") {
    if (connected) await client.end();
    connected = false;
    return { ok: true, rows: [], rowCount: 0 };
  }
  const result = await client.query(request.sql, request.params);
  return { ok: true, rows: result.rows, rowCount: result.rowCount ?? 0 };
}

port.on("message", (request: PgRequest) => {
  void handle(request)
    .catch(
      (error: Error & { code?: string }): PgAnswer => ({
        ok: false,
        message: error.message,
        code: typeof error.code === "string" ? error.code : null,
      }),
    )
    .then((answer) => {
      port.postMessage(answer);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
