import { DELIVERY_OUTCOMES, type DeliveryOutcome, type ErrorInfo } from "@coder-dx/core";
import { check, index, integer, jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";
import { oneOf } from "../../one-of";

/** One row per notification a run sent (see ../../schema/deliveries.ts). */
export const deliveries = pgTable(
  "deliveries",
  {
    id: serial("id").primaryKey(),
    runId: text("run_id").notNull(),
    at: text("at").notNull(),
    target: text("target").notNull(),
    event: text("event").notNull(),
    outcome: text("outcome").$type<DeliveryOutcome>().notNull(),
    attempts: integer("attempts").notNull(),
    httpStatus: integer("http_status"),
    error: jsonb("error").$type<ErrorInfo>(),
  },
  (t) => [
    index("deliveries_run_idx").on(t.runId, t.id),
    check("deliveries_outcome_check", oneOf(t.outcome, DELIVERY_OUTCOMES)),
  ],
);
