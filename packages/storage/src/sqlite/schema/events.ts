import { EVENT_OUTCOMES, EVENT_SOURCES, type ErrorInfo } from "@coder-dx/core";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { oneOf } from "../../one-of";

/**
 * The PlatformX outbox: every event recorded (once per occurrence, `key`) before it is sent,
 * with what became of it. A send is counted (`attempts`) before it leaves, so one a kill cut
 * short is known and never silently sent twice.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    key: text("key").notNull(),
    name: text("name").notNull(),
    email: text("email"),
    timestamp: text("timestamp").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    source: text("source", { enum: EVENT_SOURCES }).notNull(),
    subjectUserId: text("subject_user_id"),
    notificationId: text("notification_id"),
    runId: text("run_id"),
    outcome: text("outcome", { enum: EVENT_OUTCOMES }).notNull(),
    error: text("error", { mode: "json" }).$type<ErrorInfo>(),
    attempts: integer("attempts").notNull(),
    recordedAt: text("recorded_at").notNull(),
    claimedAt: text("claimed_at"),
    /** The process that began the last send (a lease holder's name): a dead one's send was cut short. */
    claimedBy: text("claimed_by"),
    sentAt: text("sent_at"),
  },
  (t) => [
    uniqueIndex("events_key_idx").on(t.key),
    index("events_outcome_idx").on(t.outcome, t.id),
    index("events_subject_idx").on(t.subjectUserId, t.id),
    index("events_email_idx").on(t.email, t.id),
    index("events_recorded_idx").on(t.recordedAt, t.id),
    check("events_source_check", oneOf(t.source, EVENT_SOURCES)),
    check("events_outcome_check", oneOf(t.outcome, EVENT_OUTCOMES)),
  ],
);
