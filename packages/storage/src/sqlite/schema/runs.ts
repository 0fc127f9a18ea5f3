import { type ErrorInfo, type RunCounts, RUN_STATUSES, RUN_TRIGGERS } from "@coder-dx/core";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { oneOf } from "../../one-of";

export const runs = sqliteTable(
  "runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull(),
    trigger: text("trigger", { enum: RUN_TRIGGERS }).notNull(),
    scoped: integer("scoped", { mode: "boolean" }).notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    error: text("error", { mode: "json" }).$type<ErrorInfo>(),
    counts: text("counts", { mode: "json" }).$type<RunCounts>().notNull(),
    sourceCount: integer("source_count"),
  },
  (t) => [
    index("runs_status_idx").on(t.status, t.id),
    check("runs_status_check", oneOf(t.status, RUN_STATUSES)),
    check("runs_trigger_check", oneOf(t.trigger, RUN_TRIGGERS)),
  ],
);
