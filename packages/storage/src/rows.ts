import {
  type ChangeRow,
  type Delivery,
  emptyRunCounts,
  type NewNotification,
  type Notification,
  type PlatformxEvent,
  type Run,
  type UserState,
} from "@coder-dx/core";
import type * as pg from "./postgres/schema";
import type * as sqlite from "./sqlite/schema";

/**
 * The record's rows as core's types, for both stores. A table's row type is drizzle's
 * `$inferSelect` of its schema; the two dialects' must be the same shape, which the compiler
 * checks below, so a column added to one schema file and not the other does not build.
 */
export type RunRow = typeof sqlite.runs.$inferSelect;
export type ChangeRecord = typeof sqlite.changes.$inferSelect;
export type StateRow = typeof sqlite.userState.$inferSelect;
export type DeliveryRow = typeof sqlite.deliveries.$inferSelect;
export type NotificationRow = typeof sqlite.notifications.$inferSelect;
export type EventRow = typeof sqlite.events.$inferSelect;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const same = <_ extends true>() => {};
same<Same<RunRow, typeof pg.runs.$inferSelect>>();
same<Same<ChangeRecord, typeof pg.changes.$inferSelect>>();
same<Same<StateRow, typeof pg.userState.$inferSelect>>();
same<Same<DeliveryRow, typeof pg.deliveries.$inferSelect>>();
same<Same<NotificationRow, typeof pg.notifications.$inferSelect>>();
same<Same<EventRow, typeof pg.events.$inferSelect>>();
same<Same<typeof sqlite.budgetMembers.$inferSelect, typeof pg.budgetMembers.$inferSelect>>();
same<Same<typeof sqlite.holds.$inferSelect, typeof pg.holds.$inferSelect>>();
same<Same<typeof sqlite.adoptions.$inferSelect, typeof pg.adoptions.$inferSelect>>();
same<Same<typeof sqlite.lease.$inferSelect, typeof pg.lease.$inferSelect>>();

export function toRun(row: RunRow): Run {
  return {
    id: String(row.id),
    status: row.status,
    dryRun: row.dryRun,
    trigger: row.trigger,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.error,
    // Runs recorded before a count existed read it as 0.
    counts: { ...emptyRunCounts(), ...row.counts },
    sourceCount: row.sourceCount,
    scoped: row.scoped,
  };
}

export function toChange(row: ChangeRecord): ChangeRow {
  return { ...row, id: String(row.id), evidence: row.evidence ?? null };
}

export function toState(row: StateRow): UserState {
  return row;
}

export function toDelivery(row: DeliveryRow): Delivery {
  return { ...row, id: String(row.id) };
}

export function toNotification(row: NotificationRow): Notification {
  const { subjectUserId, subjectUsername, subjectEmail, ...rest } = row;
  return {
    ...rest,
    id: String(row.id),
    subject: { userId: subjectUserId, username: subjectUsername, email: subjectEmail },
  };
}

/** A new notification as the table's columns. */
export function notificationValues(n: NewNotification): Record<string, unknown> {
  const { subject, ...rest } = n;
  return {
    ...rest,
    subjectUserId: subject.userId,
    subjectUsername: subject.username,
    subjectEmail: subject.email,
    runId: null,
    handledAt: null,
    confirmedAt: null,
  };
}

export function toEvent(row: EventRow): PlatformxEvent {
  return { ...row, id: String(row.id) };
}
