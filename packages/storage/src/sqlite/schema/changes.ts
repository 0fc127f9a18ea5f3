import {
  CHANGE_KINDS,
  CHANGE_OUTCOMES,
  type ErrorInfo,
  type Evidence,
  type PlanAction,
} from "@coder-dx/core";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { oneOf } from "../../one-of";

/**
 * The audit log. Rows are never deleted, and carry no foreign keys: they outlive the
 * runs and users they describe. An intent row is written `pending` before its DX write
 * and settled (outcome, error, attempts) in the same transaction as the state it confirms.
 * `id` grows with `at`, so `ORDER BY id DESC` is newest first and a stable cursor.
 */
export const changes = sqliteTable(
  "changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull(),
    at: text("at").notNull(),
    email: text("email").notNull(),
    coderUserId: text("coder_user_id"),
    kind: text("kind", { enum: CHANGE_KINDS }).notNull(),
    action: text("action").$type<PlanAction>().notNull(),
    before: text("before", { mode: "json" }).$type<Record<string, string | null>>(),
    after: text("after", { mode: "json" }).$type<Record<string, string | null>>(),
    observed: text("observed", { mode: "json" }).$type<Record<string, string | null>>(),
    outcome: text("outcome", { enum: CHANGE_OUTCOMES }).notNull(),
    error: text("error", { mode: "json" }).$type<ErrorInfo>(),
    attempts: integer("attempts").notNull(),
    note: text("note"),
    evidence: text("evidence", { mode: "json" }).$type<Evidence>(),
  },
  (t) => [
    index("changes_email_idx").on(t.email, t.id),
    index("changes_run_idx").on(t.runId, t.id),
    // "this run's rejections": without it SQLite walks every row of that outcome.
    index("changes_run_outcome_idx").on(t.runId, t.outcome, t.id),
    index("changes_outcome_idx").on(t.outcome, t.id),
    index("changes_at_idx").on(t.at, t.id),
    check("changes_kind_check", oneOf(t.kind, CHANGE_KINDS)),
    check("changes_outcome_check", oneOf(t.outcome, CHANGE_OUTCOMES)),
  ],
);
