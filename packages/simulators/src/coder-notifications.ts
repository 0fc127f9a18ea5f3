import { randomUUID } from "node:crypto";

/**
 * Coder's notification webhooks, as coderd sends them. Every shape here is a claim about Coder,
 * from coder/coder (read 2026-12, collected in reference/coder/API.md §9):
 * - the body: coderd/notifications/dispatch/webhook.go (webhook `_version` 1.1) around
 *   coderd/notifications/types/payload.go (payload 1.2; `data` since 1.1, `targets` since 1.2);
 * - who gets a copy: coderd/users.go (`notifyUserStatusChanged`, user create/delete: every owner
 *   and user-admin, plus the personal "Your account has been …" copy to the person),
 *   coderd/workspaces.go and coderd/workspacebuilds.go (template admins but the initiator);
 * - labels, data and targets: coderd/notifications/events.go, enqueuer.go, and the golden files
 *   in coderd/notifications/testdata/rendered-templates/webhook/.
 * `user_*` in the payload are the recipient's, never the subject's (but in the personal copy).
 */

export interface SimNotificationUser {
  id: string;
  username: string;
  name: string;
  email: string;
}

export type SimTemplate =
  | "User account created"
  | "User account suspended"
  | "Your account has been suspended"
  | "User account activated"
  | "Your account has been activated"
  | "User account deleted"
  | "Workspace Created"
  | "Workspace Manually Updated"
  | "Workspace Deleted";

/** Template ids (coderd/database/migrations, the notification_templates rows). */
export const TEMPLATE_IDS: Record<SimTemplate, string> = {
  "User account created": "4e19c0ac-94e1-4532-9515-d1801aa283b2",
  "User account suspended": "b02ddd82-4733-4d02-a2d7-c36f3598997d",
  "Your account has been suspended": "6a2f0609-9b69-4d36-a989-9f5925b6cbff",
  "User account activated": "9f5af851-8408-4e73-a7a1-c6502ba46689",
  "Your account has been activated": "1a6a6bea-ee0a-43e2-9e7c-eabdb53730e4",
  "User account deleted": "f44d9314-ad03-4bc8-95d0-5cad491da6b6",
  "Workspace Created": "281fdf73-c6d6-4cbb-8ff5-888baf8a2fff",
  "Workspace Manually Updated": "d089fe7b-d5c5-4c0c-aaf5-689859f7d392",
  "Workspace Deleted": "f517da0b-cdc9-410f-ab89-a86107c420ed",
};

/**
 * How much a server of a given era puts in the payload: `data` from payload 1.1 (Coder
 * ~v2.19), `targets` from 1.2 (2025); a 1.0 payload has labels only.
 */
export type PayloadVersion = "1.0" | "1.1" | "1.2";

export interface SimWorkspace {
  id: string;
  name: string;
  ownerId: string;
  templateId: string;
  templateName: string;
  templateVersionId: string;
  templateVersionName: string;
  organizationId: string;
  created_at: string;
}

/** What an occurrence says of its subject, before it is addressed to a recipient. */
export interface Occurrence {
  template: SimTemplate;
  labels: Record<string, string>;
  data: Record<string, unknown> | null;
  targets: string[];
  title: string;
  body: string;
  actions: { label: string; url: string }[];
}

const party = (u: SimNotificationUser) => ({ id: u.id, name: u.name, email: u.email });

/** A status change of `subject`: the admins' template and the personal one. */
export function userOccurrence(
  template: Exclude<
    SimTemplate,
    "Workspace Created" | "Workspace Manually Updated" | "Workspace Deleted"
  >,
  subject: SimNotificationUser,
  initiator: string,
  dashboardUrl: string,
): Occurrence {
  const verb = template.includes("created")
    ? "created"
    : template.includes("suspended")
      ? "suspended"
      : template.includes("activated")
        ? "activated"
        : "deleted";
  const labels: Record<string, string> = {
    [`${verb}_account_name`]: subject.username,
    [`${verb}_account_user_name`]: subject.name,
    initiator,
  };
  // "User account deleted" carries no data: only the username label and the target id
  // (coderd/users.go: the user row is gone when it is enqueued).
  const data = verb === "deleted" ? null : { user: party(subject) };
  return {
    template,
    labels,
    data,
    targets: [subject.id],
    title: template.startsWith("Your") ? template : `User account "${subject.username}" ${verb}`,
    body: template.startsWith("Your")
      ? `Your account "${subject.username}" has been ${verb}.`
      : `User account **${subject.username}** has been ${verb}.`,
    actions:
      verb === "deleted"
        ? [
            {
              label: "View accounts",
              url: `${dashboardUrl}/deployment/users?filter=status%3Aactive`,
            },
          ]
        : [{ label: "View accounts", url: `${dashboardUrl}/deployment/users` }],
  };
}

/** A workspace event for its owner: targets are [workspace, owner, template, organization]. */
export function workspaceOccurrence(
  template: "Workspace Created" | "Workspace Manually Updated",
  workspace: SimWorkspace,
  owner: SimNotificationUser,
  initiator: string,
  dashboardUrl: string,
): Occurrence {
  return {
    template,
    labels: {
      workspace: workspace.name,
      template: workspace.templateName,
      version: workspace.templateVersionName,
      ...(template === "Workspace Created"
        ? { workspace_owner_username: owner.username }
        : { organization: "coder", initiator }),
    },
    data: {
      owner: party(owner),
      workspace: { id: workspace.id, name: workspace.name },
      template: { id: workspace.templateId, name: workspace.templateName },
      template_version: { id: workspace.templateVersionId, name: workspace.templateVersionName },
    },
    targets: [workspace.id, owner.id, workspace.templateId, workspace.organizationId],
    title: `Workspace "${workspace.name}" ${template === "Workspace Created" ? "created" : "manually updated"}`,
    body: `The workspace **${workspace.name}** uses template **${workspace.templateName}**.`,
    actions: [
      { label: "View workspace", url: `${dashboardUrl}/@${owner.username}/${workspace.name}` },
    ],
  };
}

/** One message: the occurrence addressed to one recipient, as the webhook dispatcher posts it. */
export function webhookBody(
  occurrence: Occurrence,
  recipient: SimNotificationUser,
  version: PayloadVersion = "1.2",
  msgId: string = randomUUID(),
) {
  return {
    _version: "1.1",
    msg_id: msgId,
    payload: {
      _version: version,
      notification_name: occurrence.template,
      notification_template_id: TEMPLATE_IDS[occurrence.template],
      user_id: recipient.id,
      user_email: recipient.email,
      user_name: recipient.name,
      user_username: recipient.username,
      actions: occurrence.actions,
      labels: occurrence.labels,
      ...(version === "1.0" ? {} : { data: occurrence.data }),
      ...(version === "1.2" ? { targets: occurrence.targets } : {}),
    },
    title: occurrence.title,
    title_markdown: occurrence.title,
    body: occurrence.body.replace(/\*\*/g, ""),
    body_markdown: occurrence.body,
  };
}
export type WebhookBody = ReturnType<typeof webhookBody>;
