import { STATUS_KINDS } from "../domain/hints";
import {
  type CoderNotification,
  ignoredBecause,
  type NotificationKind,
  type NotificationOutcome,
  type ReadNotification,
  readNotification,
} from "../domain/notification";
import type { SyncStore } from "../ports";

export interface Accepted {
  id: string;
  /** Coder sent this msg_id before: nothing changed. */
  duplicate: boolean;
  /** `waiting` for a run, or `ignored` (answered, counted, never acted on). */
  outcome: Extract<NotificationOutcome, "waiting" | "ignored">;
  read: ReadNotification;
}

/**
 * Takes one notification from Coder into the inbox: read for its subject and kind, and recorded
 * once per msg_id. It waits for a hook run when it may change someone's status in DX, or is
 * an occurrence PlatformX follows; anything else is recorded as ignored, with why. Throws (the store's error) when it cannot be recorded:
 * the caller then answers so that Coder sends it again.
 */
export function acceptNotification(
  store: Pick<SyncStore, "recordNotification">,
  body: CoderNotification,
  receivedAt: string,
  /** The kinds a run is for (`followedKinds`): status changes, and what PlatformX follows. */
  followed: ReadonlySet<NotificationKind> = STATUS_KINDS,
): Accepted {
  const read = readNotification(body);
  const outcome = followed.has(read.kind) ? "waiting" : "ignored";
  const { id, duplicate } = store.recordNotification({
    msgId: read.msgId,
    receivedAt,
    name: read.name,
    templateId: read.templateId,
    kind: read.kind,
    subject: read.subject,
    details: read.details,
    outcome,
    note: outcome === "ignored" ? ignoredBecause(read) : null,
  });
  return { id, duplicate, outcome, read };
}
