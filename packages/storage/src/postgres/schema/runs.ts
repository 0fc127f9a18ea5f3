import {
  type ErrorInfo,
  RUN_STATUSES,
  RUN_TRIGGERS,
  type RunCounts,
  type RunStatus,
  type RunTrigger,
} from "@coder-dx/core";
import { boolean, check, index, integer, jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";
import { oneOf } from "../../one-of";

/** Postgres twin of the SQLite `runs` table (see ../../schema/runs.ts). */
export const runs = pgTable(
  "runs",
  {
    id: serial("id").primaryKey(),
    status: text("status").$type<RunStatus>().notNull(),
    dryRun: boolean("dry_run").notNull(),
    trigger: text("trigger").$type<RunTrigger>().notNull(),
    scoped: boolean("scoped").notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    error: jsonb("error").$type<ErrorInfo>(),
    counts: jsonb("counts").$type<RunCounts>().notNull(),
    sourceCount: integer("source_count"),
  },
  (t) => [
    index("runs_status_idx").on(t.status, t.id),
    check("runs_status_check", oneOf(t.status, RUN_STATUSES)),
    check("runs_trigger_check", oneOf(t.trigger, RUN_TRIGGERS)),
  ],
);
