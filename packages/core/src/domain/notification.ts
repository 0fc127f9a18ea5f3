import { z } from "zod";

/**
 * Coder's notification webhook body (coderd/notifications/dispatch/webhook.go, types/payload.go;
 * reference/coder/API.md §9): webhook `_version` 1.1, payload 1.1 adds `data`, 1.2 `targets`.
 * `user_*` are the recipient, never (except in the personal copies) the person it is about.
 */
export const CoderNotification = z.object({
  _version: z.string(),
  msg_id: z.string().min(1).max(100),
  payload: z.object({
    _version: z.string(),
    notification_name: z.string().max(200),
    notification_template_id: z.string().max(100),
    user_id: z.string(),
    user_email: z.string(),
    user_name: z.string(),
    user_username: z.string(),
    actions: z.array(z.object({ label: z.string(), url: z.string() })).nullish(),
    labels: z.record(z.string(), z.string()).nullish(),
    data: z.record(z.string(), z.unknown()).nullish(),
    targets: z.array(z.string()).nullish(),
  }),
  title: z.string(),
  title_markdown: z.string().optional(),
  body: z.string(),
  body_markdown: z.string().optional(),
});
export type CoderNotification = z.infer<typeof CoderNotification>;

/** What coder-dx reads a notification as: the occurrence it reports, whatever the copy. */
export const NOTIFICATION_KINDS = [
  "user_created",
  "user_suspended",
  "user_activated",
  "user_deleted",
  "workspace_created",
  "workspace_updated",
  "other",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What became of a notification: it led to a run, was a copy of one that did, or was not used. */
export const NOTIFICATION_OUTCOMES = ["waiting", "run", "duplicate", "ignored"] as const;
export type NotificationOutcome = (typeof NOTIFICATION_OUTCOMES)[number];

/**
 * Coder's templates, by id and by name (reference/coder/API.md §9): the admin copies (one per
 * owner and user-admin) and the personal copy of one status change are the same occurrence.
 * `label` names the label that carries the subject's username.
 */
const TEMPLATES: { id: string; name: string; kind: NotificationKind; label?: string }[] = [
  {
    id: "4e19c0ac-94e1-4532-9515-d1801aa283b2",
    name: "User account created",
    kind: "user_created",
    label: "created_account_name",
  },
  {
    id: "b02ddd82-4733-4d02-a2d7-c36f3598997d",
    name: "User account suspended",
    kind: "user_suspended",
    label: "suspended_account_name",
  },
  {
    id: "6a2f0609-9b69-4d36-a989-9f5925b6cbff",
    name: "Your account has been suspended",
    kind: "user_suspended",
    label: "suspended_account_name",
  },
  {
    id: "9f5af851-8408-4e73-a7a1-c6502ba46689",
    name: "User account activated",
    kind: "user_activated",
    label: "activated_account_name",
  },
  {
    id: "1a6a6bea-ee0a-43e2-9e7c-eabdb53730e4",
    name: "Your account has been activated",
    kind: "user_activated",
    label: "activated_account_name",
  },
  {
    id: "f44d9314-ad03-4bc8-95d0-5cad491da6b6",
    name: "User account deleted",
    kind: "user_deleted",
    label: "deleted_account_name",
  },
  {
    id: "281fdf73-c6d6-4cbb-8ff5-888baf8a2fff",
    name: "Workspace Created",
    kind: "workspace_created",
  },
  {
    id: "d089fe7b-d5c5-4c0c-aaf5-689859f7d392",
    name: "Workspace Manually Updated",
    kind: "workspace_updated",
  },
];

/** The kind of a notification by its name (any copy's, any case), or null for one coder-dx does not know. */
export function notificationKindOf(name: string): NotificationKind | null {
  return TEMPLATES.find((t) => t.name.toLowerCase() === name.trim().toLowerCase())?.kind ?? null;
}

/** A notification name as Coder sends it, for a kind coder-dx reads (the admin copy's). */
export function notificationNameOf(kind: NotificationKind): string | null {
  return TEMPLATES.find((t) => t.kind === kind)?.name ?? null;
}

/** The person a notification is about, as far as it says: never the recipient. */
export interface NotificationSubject {
  /** The Coder user id: `data.user.id` / `data.owner.id`, else `targets` (the user's, or the owner's). */
  userId: string | null;
  /** The username, from the template's label. */
  username: string | null;
  /** The email, from `data` (absent for deletions and from servers before payload 1.1). */
  email: string | null;
}

/** What a notification says, boiled down: the kind, the subject, and a few workspace facts. */
export interface ReadNotification {
  msgId: string;
  name: string;
  templateId: string;
  kind: NotificationKind;
  subject: NotificationSubject;
  /** For workspace events: ids and names (never the body, never a token); null otherwise. */
  details: Record<string, string> | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** `{id, name, email}` of `data[key]`, as far as it holds strings. */
function party(data: Record<string, unknown> | null, key: string) {
  const value = record(data?.[key]);
  return { id: text(value?.id), name: text(value?.name), email: text(value?.email) };
}

/**
 * Reads a notification Coder sent: which occurrence it reports and whom it is about. Pure. The
 * recipient (`user_*`) is never taken for the subject: an admin's copy of a suspension is about
 * the suspended person. A template coder-dx does not know, or a known one without any subject,
 * reads as `other`.
 */
export function readNotification(body: CoderNotification): ReadNotification {
  const { payload } = body;
  const template =
    TEMPLATES.find((t) => t.id === payload.notification_template_id) ??
    TEMPLATES.find((t) => t.name.toLowerCase() === payload.notification_name.toLowerCase());
  const base = {
    msgId: body.msg_id,
    name: payload.notification_name,
    templateId: payload.notification_template_id,
  };
  const other = {
    ...base,
    kind: "other" as const,
    subject: { userId: null, username: null, email: null },
    details: null,
  };
  if (!template) return other;
  const data = record(payload.data);
  const labels = payload.labels ?? {};
  const targets = (payload.targets ?? []).filter((t) => UUID.test(t));
  if (template.kind.startsWith("user_")) {
    const user = party(data, "user");
    const subject = {
      // targets[0] is the user the event is about (enqueued with the user's id as target).
      userId: user.id ?? targets[0] ?? null,
      username: text(template.label ? labels[template.label] : undefined),
      email: user.email,
    };
    if (!subject.userId && !subject.username) return other;
    return { ...base, kind: template.kind, subject, details: null };
  }
  // Workspace events: the owner is the subject; targets = [workspace, owner, template, organization].
  const owner = party(data, "owner");
  const workspace = party(data, "workspace");
  const templateData = party(data, "template");
  const version = party(data, "template_version");
  const subject = {
    userId: owner.id ?? targets[1] ?? null,
    username: text(labels.workspace_owner_username),
    email: owner.email,
  };
  if (!subject.userId && !subject.username) return other;
  const details: Record<string, string> = {};
  const put = (key: string, value: string | null | undefined) => {
    if (value) details[key] = value;
  };
  put("workspaceId", workspace.id ?? targets[0]);
  put("workspace", workspace.name ?? text(labels.workspace));
  put("templateId", templateData.id ?? targets[2]);
  put("template", templateData.name ?? text(labels.template));
  put("templateVersionId", version.id);
  put("templateVersion", version.name ?? text(labels.version));
  return { ...base, kind: template.kind, subject, details };
}

/** Why coder-dx leaves a notification alone (answered 2xx, counted, never acted on). */
export function ignoredBecause(read: ReadNotification): string {
  return read.kind === "other"
    ? `coder-dx does not use "${read.name}" notifications`
    : `"${read.name}" says nothing coder-dx writes to DX attributes, and PlatformX does not follow it here`;
}
