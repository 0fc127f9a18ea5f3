import {
  CHANGE_KINDS,
  CHANGE_OUTCOMES,
  type ChangeKind,
  type ChangeOutcome,
  type ErrorInfo,
  type Evidence,
  type PlanAction,
} from "@coder-dx/core";
import { check, index, integer, jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";
import { oneOf } from "../../one-of";

/** Postgres twin of the SQLite audit log (see ../../schema/changes.ts), with its indexes. */
export const changes = pgTable(
  "changes",
  {
    id: serial("id").primaryKey(),
    runId: text("run_id").notNull(),
    at: text("at").notNull(),
    email: text("email").notNull(),
    coderUserId: text("coder_user_id"),
    kind: text("kind").$type<ChangeKind>().notNull(),
    action: text("action").$type<PlanAction>().notNull(),
    before: jsonb("before").$type<Record<string, string | null>>(),
    after: jsonb("after").$type<Record<string, string | null>>(),
    observed: jsonb("observed").$type<Record<string, string | null>>(),
    outcome: text("outcome").$type<ChangeOutcome>().notNull(),
    error: jsonb("error").$type<ErrorInfo>(),
    attempts: integer("attempts").notNull(),
    note: text("note"),
    evidence: jsonb("evidence").$type<Evidence>(),
  },
  (t) => [
    index("changes_email_idx").on(t.email, t.id),
    index("changes_run_idx").on(t.runId, t.id),
    index("changes_run_outcome_idx").on(t.runId, t.outcome, t.id),
    index("changes_outcome_idx").on(t.outcome, t.id),
    index("changes_at_idx").on(t.at, t.id),
    check("changes_kind_check", oneOf(t.kind, CHANGE_KINDS)),
    check("changes_outcome_check", oneOf(t.outcome, CHANGE_OUTCOMES)),
  ],
);
