import { randomUUID } from "node:crypto";
import { userOccurrence, webhookBody, workspaceOccurrence } from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { CoderNotification, readNotification } from "./notification";

const person = (username: string) => ({
  id: randomUUID(),
  username,
  name: username.toUpperCase(),
  email: `${username}@example.com`,
});
const ann = person("ann");
const admin = person("olga");
const read = (body: unknown) => readNotification(CoderNotification.parse(body));

describe("reading Coder's notifications", () => {
  it("takes the subject from data, the label and targets, never the recipient", () => {
    for (const template of ["User account suspended", "Your account has been suspended"] as const) {
      const recipient = template.startsWith("Your") ? ann : admin;
      const notification = read(webhookBody(userOccurrence(template, ann, "rob", "x"), recipient));
      expect(notification).toMatchObject({
        kind: "user_suspended",
        subject: { userId: ann.id, username: "ann", email: "ann@example.com" },
      });
    }
  });

  it("reads a deletion by the id and the username alone (it carries no email)", () => {
    const notification = read(
      webhookBody(userOccurrence("User account deleted", ann, "rob", "x"), admin),
    );
    expect(notification).toMatchObject({
      kind: "user_deleted",
      subject: { userId: ann.id, username: "ann", email: null },
    });
  });

  it("reads an older Coder's payload by the label (1.0: no data, no targets)", () => {
    const body = webhookBody(
      userOccurrence("User account activated", ann, "rob", "x"),
      admin,
      "1.0",
    );
    expect(read(body).subject).toEqual({ userId: null, username: "ann", email: null });
  });

  it("reads a workspace event's owner and the ids and names PlatformX needs, not the body", () => {
    const workspace = {
      id: randomUUID(),
      name: "dev",
      ownerId: ann.id,
      templateId: randomUUID(),
      templateName: "gpu",
      templateVersionId: randomUUID(),
      templateVersionName: "v7",
      organizationId: randomUUID(),
      created_at: "2026-12-06T10:00:00Z",
    };
    const body = webhookBody(
      workspaceOccurrence("Workspace Manually Updated", workspace, ann, "ann", "x"),
      admin,
    );
    expect(read(body)).toMatchObject({
      kind: "workspace_updated",
      subject: { userId: ann.id, email: "ann@example.com" },
      details: {
        workspaceId: workspace.id,
        workspace: "dev",
        templateId: workspace.templateId,
        template: "gpu",
        templateVersionId: workspace.templateVersionId,
        templateVersion: "v7",
      },
    });
  });

  it("reads a template it does not know, or one without a subject, as other", () => {
    const body = webhookBody(userOccurrence("User account suspended", ann, "rob", "x"), admin);
    const unknown = {
      ...body,
      payload: {
        ...body.payload,
        notification_name: "Template Deleted",
        notification_template_id: randomUUID(),
      },
    };
    expect(read(unknown).kind).toBe("other");
    const blank = { ...body, payload: { ...body.payload, labels: {}, data: null, targets: [] } };
    expect(read(blank).kind).toBe("other");
  });
});
