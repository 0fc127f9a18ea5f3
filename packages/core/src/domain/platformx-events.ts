import { NOTIFICATION_KINDS, type NotificationKind, notificationKindOf } from "./notification";

/** What became of an event: sent, refused by DX (its code), never sendable (why), not yet, or lost in flight. */
export const EVENT_OUTCOMES = ["pending", "sent", "rejected", "invalid", "unknown"] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** Whence an event: Coder's notification, or a transition a full run or status pass wrote. */
export const EVENT_SOURCES = ["webhook", "pass"] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** The events PlatformX gets once a project token is set, by Coder's (admin) notification name. */
export const DEFAULT_PLATFORMX_EVENTS: Readonly<Record<string, string>> = {
  "User account created": "coder.user.created",
  "User account suspended": "coder.user.suspended",
  "User account activated": "coder.user.activated",
  "User account deleted": "coder.user.deleted",
  "Workspace Created": "coder.workspace.created",
  "Workspace Manually Updated": "coder.workspace.updated",
};

/** The kinds PlatformX can follow: those whose subject coder-dx can tell. */
export const PLATFORMX_KINDS: readonly NotificationKind[] = NOTIFICATION_KINDS.filter(
  (kind) => kind !== "other",
);

/** The kind a notification name stands for, when PlatformX can follow it; null otherwise. */
export function platformxKindOf(name: string): NotificationKind | null {
  const kind = notificationKindOf(name);
  return kind !== null && PLATFORMX_KINDS.includes(kind) ? kind : null;
}

/** The PlatformX event name for each kind, from `platformx.events` (or the defaults). */
export function platformxEventNames(
  events: Readonly<Record<string, string>> | null,
): Map<NotificationKind, string> {
  const names = new Map<NotificationKind, string>();
  for (const [notification, event] of Object.entries(events ?? DEFAULT_PLATFORMX_EVENTS)) {
    const kind = platformxKindOf(notification);
    if (kind) names.set(kind, event);
  }
  return names;
}
