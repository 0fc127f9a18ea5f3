import { NOTIFICATION_KINDS, NOTIFICATION_OUTCOMES } from "@coder-dx/core";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { oneOf } from "../../one-of";

/**
 * The inbox of Coder's notifications (Live): one row per `msg_id`, recorded before Coder is
 * answered 2xx, so a notification accepted is never lost and a retry changes nothing. Never the
 * webhook's body: the subject, the kind, and a few workspace facts.
 */
export const notifications = sqliteTable(
  "notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    msgId: text("msg_id").notNull(),
    receivedAt: text("received_at").notNull(),
    name: text("name").notNull(),
    templateId: text("template_id").notNull(),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    subjectUserId: text("subject_user_id"),
    subjectUsername: text("subject_username"),
    subjectEmail: text("subject_email"),
    details: text("details", { mode: "json" }).$type<Record<string, string>>(),
    outcome: text("outcome", { enum: NOTIFICATION_OUTCOMES }).notNull(),
    runId: text("run_id"),
    note: text("note"),
    handledAt: text("handled_at"),
    confirmedAt: text("confirmed_at"),
  },
  (t) => [
    uniqueIndex("notifications_msg_idx").on(t.msgId),
    index("notifications_outcome_idx").on(t.outcome, t.id),
    index("notifications_run_idx").on(t.runId, t.id),
    check("notifications_kind_check", oneOf(t.kind, NOTIFICATION_KINDS)),
    check("notifications_outcome_check", oneOf(t.outcome, NOTIFICATION_OUTCOMES)),
  ],
);
