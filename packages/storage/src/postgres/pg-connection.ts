import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { CoderDxError } from "@coder-dx/core";
import { workerScript } from "../worker-script";
import type { PgAnswer, PgRequest } from "./worker";

/** How long one statement may take before the store gives up on the server. */
const ANSWER_TIMEOUT_MS = 60_000;

/** A Postgres URL with its password taken out: what errors and logs may show. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres://(an unreadable URL)";
  }
}

function migrationsFolder(): string {
  // From source (src/postgres/), or beside the bundle: dist/main.js, dist/workers/*.js.
  for (const candidate of ["../../migrations-pg", "./migrations-pg", "../migrations-pg"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}/meta/_journal.json`)) return path;
  }
  throw new Error("coder-dx Postgres migrations not found next to the code");
}

/**
 * A synchronous connection to Postgres. The store port is synchronous (SQLite is), so the
 * client lives in a worker thread and each call waits for its answer (Atomics.wait), as a
 * SQLite call waits for the disk: the event loop is held for one statement's round trip.
 */
export class PgConnection {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  readonly where: string;
  private closed = false;

  constructor(url: string) {
    this.where = describePostgresUrl(url);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const { script, eval: isCode } = workerScript(
      new URL("./workers/pg.js", import.meta.url),
      new URL("./worker.ts", import.meta.url),
      () => import.meta.resolve("tsx/esm/api"),
    );
    this.worker = new Worker(script, {
      eval: isCode,
      workerData: { url, port: port2, flag: this.flag },
      transferList: [port2],
    });
    this.worker.unref();
    try {
      this.request({ op: "open", migrationsFolder: migrationsFolder() });
    } catch (error) {
      // Unreachable, refused, read-only, or not ours to migrate: nothing can be recorded.
      this.close();
      throw new CoderDxError("store_unusable", (error as Error).message);
    }
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): T[] {
    return this.request({ op: "query", sql, params }).rows as T[];
  }

  /** Statements run in one transaction: all of them or none. */
  transaction<T>(body: () => T): T {
    this.query("BEGIN");
    try {
      const result = body();
      this.query("COMMIT");
      return result;
    } catch (error) {
      try {
        this.query("ROLLBACK");
      } catch {
        // The connection is gone; the server rolls back by itself.
      }
      throw error;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.request({ op: "close" });
    } finally {
      void this.worker.terminate();
    }
  }

  private request(request: PgRequest): Extract<PgAnswer, { ok: true }> {
    if (this.closed && request.op !== "close")
      throw new CoderDxError("store_failed", `database ${this.where}: closed`);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    const waited = Atomics.wait(this.flag, 0, 0, ANSWER_TIMEOUT_MS);
    const message = receiveMessageOnPort(this.port);
    if (waited === "timed-out" || !message) {
      throw new CoderDxError(
        "store_failed",
        `database ${this.where}: no answer within ${ANSWER_TIMEOUT_MS / 1000} s`,
      );
    }
    const answer = message.message as PgAnswer;
    if (!answer.ok)
      throw new CoderDxError(
        "store_failed",
        `database ${this.where}: ${answer.message}${answer.code && /^[0-9A-Z]{5}$/.test(answer.code) ? ` (SQLSTATE ${answer.code})` : ""}`,
      );
    return answer;
  }
}
