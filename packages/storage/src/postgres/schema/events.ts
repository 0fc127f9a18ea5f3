import {
  EVENT_OUTCOMES,
  EVENT_SOURCES,
  type ErrorInfo,
  type EventOutcome,
  type EventSource,
} from "@coder-dx/core";
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { oneOf } from "../../one-of";

/** The PlatformX outbox (see ../../sqlite/schema/events.ts). */
export const events = pgTable(
  "events",
  {
    id: serial("id").primaryKey(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    email: text("email"),
    timestamp: text("timestamp").notNull(),
    metadata: jsonb("metadata").$type<Record<string, string>>().notNull(),
    source: text("source").$type<EventSource>().notNull(),
    subjectUserId: text("subject_user_id"),
    notificationId: text("notification_id"),
    runId: text("run_id"),
    outcome: text("outcome").$type<EventOutcome>().notNull(),
    error: jsonb("error").$type<ErrorInfo>(),
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
