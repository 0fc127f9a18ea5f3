import { randomUUID } from "node:crypto";
import type { Logger } from "@coder-dx/core";
import {
  TEMPLATE_IDS,
  userOccurrence,
  webhookBody,
  workspaceOccurrence,
} from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { createTestApp, TOKENS } from "./testing";

const SECRET = "hook-secret-0123456789abcdef-0123456789";
const ann = { id: randomUUID(), username: "ann", name: "Ann", email: "ann@example.com" };
const olga = { id: randomUUID(), username: "olga", name: "Olga", email: "olga@example.com" };

/** A suspension's admin copy as Coder sends it (the simulator's claim about Coder). */
const suspension = (msgId: string = randomUUID()) =>
  webhookBody(
    userOccurrence("User account suspended", ann, "rob", "https://coder.example.com"),
    olga,
    "1.2",
    msgId,
  );

/** A JSON answer, untyped: each test asserts the fields it cares about. */
const json = async (response: Response): Promise<any> => response.json();

function app(options: { hookSecret?: string | null; log?: Logger } = {}) {
  const t = createTestApp({ hookSecret: SECRET, ...options });
  const post = (body: unknown, secret = SECRET) =>
    t.app.request(`/v1/hooks/coder/${secret}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { ...t, post };
}

describe("POST /v1/hooks/coder/{secret}", () => {
  it("records a notification before answering 2xx, once per msg_id, and starts a run for it", async () => {
    const t = app();
    const body = suspension();
    const first = await t.post(body);
    expect(first.status).toBe(202);
    expect((await json(first)).notification).toMatchObject({
      outcome: "waiting",
      duplicate: false,
    });
    expect(t.store.waitingNotifications()).toMatchObject([
      {
        msgId: body.msg_id,
        kind: "user_suspended",
        subject: { userId: ann.id, username: "ann", email: "ann@example.com" },
      },
    ]);
    expect(t.nudges).toHaveLength(1);
    // Coder's retry of the same message: 2xx, nothing new, no second run.
    const retry = await t.post(body);
    expect(retry.status).toBe(200);
    expect((await json(retry)).notification).toMatchObject({ duplicate: true });
    expect(t.store.waitingNotifications()).toHaveLength(1);
    expect(t.nudges).toHaveLength(1);
  });

  it("answers 2xx for a notification it does not use, counted and never retried", async () => {
    const t = app();
    const workspace = {
      id: randomUUID(),
      name: "dev",
      ownerId: ann.id,
      templateId: randomUUID(),
      templateName: "docker",
      templateVersionId: randomUUID(),
      templateVersionName: "v3",
      organizationId: randomUUID(),
      created_at: "2026-12-06T10:00:00Z",
    };
    const created = webhookBody(
      workspaceOccurrence("Workspace Created", workspace, ann, "ann", "x"),
      olga,
    );
    const unknown = {
      ...suspension(),
      payload: {
        ...suspension().payload,
        notification_name: "Template Deleted",
        notification_template_id: randomUUID(),
      },
    };
    for (const body of [created, unknown]) {
      const response = await t.post(body);
      expect(response.status).toBe(200);
      expect((await json(response)).notification.outcome).toBe("ignored");
    }
    const [template, workspaceRow] = t.store.listNotifications({ limit: 5 }).items;
    expect(template?.note).toBe('coder-dx does not use "Template Deleted" notifications');
    expect(workspaceRow).toMatchObject({
      kind: "workspace_created",
      details: { workspace: "dev", templateVersion: "v3" },
    });
    expect(t.nudges).toHaveLength(0);
    expect(TEMPLATE_IDS["Workspace Created"]).toBe(workspaceRow?.templateId);
  });

  it("answers 404 as for an unknown route to a wrong or missing secret, and to every hook path with none configured", async () => {
    const t = app();
    const unknownRoute = await t.app.request("/v1/nowhere", { method: "POST" });
    for (const response of [
      await t.post(suspension(), "wrong-secret-wrong-secret-wrong-secret"),
      await t.app.request("/v1/hooks/coder", { method: "POST", body: "{}" }),
      await t.app.request("/v1/hooks/coder/", { method: "POST", body: "{}" }),
      await app({ hookSecret: null }).post(suspension()),
    ]) {
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe((await json(unknownRoute.clone())).error.code);
    }
    expect(t.store.listNotifications({ limit: 5 }).items).toEqual([]);
  });

  it.each([
    ["not JSON", "{not json", "the body is not JSON"],
    ["wrong types", { ...suspension(), msg_id: 42 }, "msg_id"],
    ["no payload", { _version: "1.1", msg_id: "x", title: "t", body: "b" }, "payload"],
    ["over the limit", { ...suspension(), title: "x".repeat(70_000) }, "over 65536 bytes"],
  ])("answers 400 to a body that is not Coder's: %s", async (_, body, message) => {
    const t = app();
    const response = await t.post(body);
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error).toMatchObject({ code: "invalid_request" });
    expect(error.message).toContain(message);
    expect(t.store.listNotifications({ limit: 5 }).items).toEqual([]);
  });

  it("answers 503 when the store cannot record it, and Coder's retry is recorded once", async () => {
    const t = app();
    const body = suspension();
    t.store.failNext("recordNotification");
    const refused = await t.post(body);
    expect(refused.status).toBe(503);
    expect(t.nudges).toHaveLength(0);
    expect((await t.post(body)).status).toBe(202);
    expect(t.store.waitingNotifications()).toHaveLength(1);
  });

  it("never lets the secret reach a log or an answer", async () => {
    const lines: string[] = [];
    const log: Logger = {
      info: (m, f) => lines.push(JSON.stringify([m, f])),
      warn: (m, f) => lines.push(JSON.stringify([m, f])),
      error: (m, f) => lines.push(JSON.stringify([m, f])),
    };
    const t = app({ log });
    const answers = [
      await t.post(suspension()),
      await t.post("{bad"),
      await t.post(suspension(), `${SECRET}x`),
    ];
    const texts = await Promise.all(answers.map((a) => a.text()));
    const seen = [...lines, ...texts].join("\n");
    expect(seen).not.toContain(SECRET);
    expect(lines.some((l) => l.includes("/v1/hooks/coder/[redacted]"))).toBe(true);
  });
});

describe("GET /v1/hooks", () => {
  it("lists the notifications newest first, with what each led to, to a viewer", async () => {
    const t = app();
    await t.post(suspension("m-1"));
    await t.post(suspension("m-2"));
    const anonymous = await t.call("GET", "/v1/hooks", null);
    expect(anonymous.status).toBe(401);
    const page = await json(await t.call("GET", "/v1/hooks?limit=1", TOKENS.viewer));
    expect(
      page.notifications.map((n: { msgId: string; outcome: string }) => [n.msgId, n.outcome]),
    ).toEqual([["m-2", "waiting"]]);
    expect(page.nextCursor).not.toBeNull();
  });
});
