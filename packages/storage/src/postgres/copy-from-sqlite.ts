import { CoderDxError } from "@coder-dx/core";
import type { Db } from "../open-database";
import type { PgConnection } from "./pg-connection";

/** Rows per INSERT while copying. */
const BATCH = 500;

export interface Copied {
  runs: number;
  changes: number;
  states: number;
  holds: number;
  adoptions: number;
  deliveries: number;
}

interface Table {
  name: keyof Copied;
  source: string;
  target: string;
  columns: string[];
  /** SQLite's 0/1 as Postgres booleans. */
  booleans?: string[];
  serial: boolean;
}

const TABLES: Table[] = [
  {
    name: "runs",
    source: "runs",
    target: "runs",
    columns: [
      "id",
      "status",
      "dry_run",
      "trigger",
      "scoped",
      "started_at",
      "finished_at",
      "error",
      "counts",
      "source_count",
    ],
    booleans: ["dry_run", "scoped"],
    serial: true,
  },
  {
    name: "changes",
    source: "changes",
    target: "changes",
    columns: [
      "id",
      "run_id",
      "at",
      "email",
      "coder_user_id",
      "kind",
      "action",
      "before",
      "after",
      "observed",
      "outcome",
      "error",
      "attempts",
      "note",
      "evidence",
    ],
    serial: true,
  },
  {
    name: "states",
    source: "user_state",
    target: "user_state",
    columns: [
      "email",
      "coder_user_id",
      "attributes",
      "properties",
      "updated_at",
      "unmatched_at",
      "unmatched_attributes",
    ],
    serial: false,
  },
  {
    name: "holds",
    source: "holds",
    target: "holds",
    columns: ["email", "group_name", "since"],
    serial: false,
  },
  {
    name: "adoptions",
    source: "adoptions",
    target: "adoptions",
    columns: ["id", "at", "email", "attributes"],
    serial: true,
  },
  {
    name: "deliveries",
    source: "deliveries",
    target: "deliveries",
    columns: [
      "id",
      "run_id",
      "at",
      "target",
      "event",
      "outcome",
      "attempts",
      "http_status",
      "error",
    ],
    serial: true,
  },
];

/**
 * Copies a SQLite database's history into an empty Postgres one (`migrate-store`): runs,
 * audit rows, pushed states, holds, adopted values and deliveries, ids kept (cursors and links
 * stay valid), in one transaction: all of it lands or none. The lease is not copied.
 */
export function copySqliteToPostgres(source: Db, target: PgConnection): Copied {
  const [present] = target.query<{ n: number }>(
    "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM changes) + (SELECT count(*) FROM user_state) AS n",
  );
  if ((present?.n ?? 0) > 0)
    throw new CoderDxError(
      "usage_invalid",
      `${target.where} already holds runs, audit rows or states; migrate-store copies into an empty database only`,
    );
  const copied: Copied = { runs: 0, changes: 0, states: 0, holds: 0, adoptions: 0, deliveries: 0 };
  target.transaction(() => {
    for (const table of TABLES) {
      const rows = source.$client
        .prepare(
          `SELECT ${table.columns.join(", ")} FROM ${table.source}${table.serial ? " ORDER BY id" : ""}`,
        )
        .raw(true)
        .iterate() as Iterable<unknown[]>;
      let batch: unknown[][] = [];
      const flush = () => {
        if (batch.length === 0) return;
        const width = table.columns.length;
        const values = batch.flat();
        const tuples = batch.map(
          (_, i) => `(${table.columns.map((_, k) => `$${i * width + k + 1}`).join(", ")})`,
        );
        target.query(
          `INSERT INTO ${table.target} (${table.columns.join(", ")}) VALUES ${tuples.join(", ")}`,
          values,
        );
        copied[table.name] += batch.length;
        batch = [];
      };
      for (const row of rows) {
        batch.push(
          row.map((value, i) =>
            table.booleans?.includes(table.columns[i] as string) ? value === 1 : value,
          ),
        );
        if (batch.length === BATCH) flush();
      }
      flush();
      if (table.serial)
        target.query(
          `SELECT setval(pg_get_serial_sequence('${table.target}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM ${table.target}`,
        );
    }
  });
  return copied;
}
