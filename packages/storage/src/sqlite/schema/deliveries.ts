import { DELIVERY_OUTCOMES, type ErrorInfo } from "@coder-dx/core";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { oneOf } from "../../one-of";

/** One row per notification a run sent (or failed to send), listed by `runs show`. */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull(),
    at: text("at").notNull(),
    /** The webhook's origin only: its path and query may hold a secret (Slack's do). */
    target: text("target").notNull(),
    event: text("event").notNull(),
    outcome: text("outcome", { enum: DELIVERY_OUTCOMES }).notNull(),
    attempts: integer("attempts").notNull(),
    httpStatus: integer("http_status"),
    error: text("error", { mode: "json" }).$type<ErrorInfo>(),
  },
  (t) => [
    index("deliveries_run_idx").on(t.runId, t.id),
    check("deliveries_outcome_check", oneOf(t.outcome, DELIVERY_OUTCOMES)),
  ],
);
