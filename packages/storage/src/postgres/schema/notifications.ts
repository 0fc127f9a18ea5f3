import {
  NOTIFICATION_KINDS,
  NOTIFICATION_OUTCOMES,
  type NotificationKind,
  type NotificationOutcome,
} from "@coder-dx/core";
import { check, index, jsonb, pgTable, serial, text, uniqueIndex } from "drizzle-orm/pg-core";
import { oneOf } from "../../one-of";

/** The inbox of Coder's notifications (see ../../sqlite/schema/notifications.ts). */
export const notifications = pgTable(
  "notifications",
  {
    id: serial("id").primaryKey(),
    msgId: text("msg_id").notNull(),
    receivedAt: text("received_at").notNull(),
    name: text("name").notNull(),
    templateId: text("template_id").notNull(),
    kind: text("kind").$type<NotificationKind>().notNull(),
    subjectUserId: text("subject_user_id"),
    subjectUsername: text("subject_username"),
    subjectEmail: text("subject_email"),
    details: jsonb("details").$type<Record<string, string>>(),
    outcome: text("outcome").$type<NotificationOutcome>().notNull(),
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
