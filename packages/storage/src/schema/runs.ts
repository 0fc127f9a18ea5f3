import type { ErrorInfo, RunCounts } from "@coder-dx/core";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const runs = sqliteTable(
  "runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    status: text("status", {
      enum: ["running", "succeeded", "partial", "failed", "halted"],
    }).notNull(),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull(),
    trigger: text("trigger", { enum: ["cli", "api", "schedule"] }).notNull(),
    scoped: integer("scoped", { mode: "boolean" }).notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    error: text("error", { mode: "json" }).$type<ErrorInfo>(),
    counts: text("counts", { mode: "json" }).$type<RunCounts>().notNull(),
    sourceCount: integer("source_count"),
  },
  (t) => [index("runs_status_idx").on(t.status, t.id)],
);
