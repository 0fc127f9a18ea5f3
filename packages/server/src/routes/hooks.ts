import { createHash, timingSafeEqual } from "node:crypto";
import {
  acceptNotification,
  CoderNotification,
  NOTIFICATION_KINDS,
  NOTIFICATION_OUTCOMES,
  toErrorInfo,
} from "@coder-dx/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type AppDeps, type AppEnv, fail, requireRole } from "../context";
import { Cursor, errorResponses, Limit } from "../schemas";

/** The path Coder posts to; the last segment is the secret (Coder can send no header). */
export const HOOK_PATH = "/v1/hooks/coder";
/** Coder's bodies are a few kilobytes; anything larger is not one. */
const HOOK_BODY_LIMIT = 64 * 1024;

const digest = (text: string) => createHash("sha256").update(text).digest();

/** `/v1/hooks/coder/<secret>` as logs may show it. */
export function maskHookPath(path: string): string {
  return path.startsWith(`${HOOK_PATH}/`) ? `${HOOK_PATH}/[redacted]` : path;
}

export const NotificationSchema = z
  .object({
    id: z.string(),
    msgId: z.string(),
    receivedAt: z.string().openapi({ format: "date-time" }),
    name: z.string(),
    templateId: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    subject: z.object({
      userId: z.string().nullable(),
      username: z.string().nullable(),
      email: z.string().nullable(),
    }),
    details: z.record(z.string(), z.string()).nullable(),
    outcome: z.enum(NOTIFICATION_OUTCOMES).openapi({
      description:
        "waiting: for a run; run: led to runId; duplicate: a copy of one that did; ignored: not used (note says why)",
    }),
    runId: z.string().nullable(),
    note: z.string().nullable(),
    handledAt: z.string().nullable(),
    confirmedAt: z
      .string()
      .nullable()
      .openapi({ description: "when DX confirmed the write it led to" }),
  })
  .openapi("Notification");

/**
 * Coder's notification webhooks (Live), and what became of them. A notification is a hint: it
 * is recorded (once per msg_id) before Coder gets its 2xx, and a hook run re-reads Coder before
 * anything is written.
 */
export function registerHookRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const expected = deps.hookSecret ? digest(deps.hookSecret) : null;
  /** A wrong or missing secret, or none configured: the answer any unknown route gets. */
  const secretMatches: MiddlewareHandler<AppEnv> = async (c, next) => {
    const given = c.req.param("secret") ?? "";
    if (!expected || !timingSafeEqual(digest(given), expected)) return notFound(c);
    await next();
  };
  const notFound = (c: Context<AppEnv>) =>
    fail(c, "not_found", `no route ${c.req.method} ${maskHookPath(c.req.path)}`);
  const tooLarge = bodyLimit({
    maxSize: HOOK_BODY_LIMIT,
    onError: (c) =>
      fail(
        c as never,
        "invalid_request",
        `not a Coder notification: over ${HOOK_BODY_LIMIT} bytes`,
      ),
  });

  app.openapi(
    createRoute({
      method: "post",
      path: `${HOOK_PATH}/{secret}`,
      summary: "Coder's notification webhook",
      description:
        "Set CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT to this URL (with live.hookSecret as {secret}) and CODER_NOTIFICATIONS_METHOD=webhook on the Coder server. 2xx once recorded (a retry of the same msg_id changes nothing); 503 when it cannot be recorded, so Coder retries; 400 for a body that is not Coder's; 404 for a wrong secret, as for an unknown route.",
      // No token: Coder sends none. The secret in the path is the credential.
      "x-role": "secret",
      middleware: [secretMatches, tooLarge] as const,
      request: {
        params: z.object({
          secret: z.string().openapi({ param: { name: "secret", in: "path" }, example: "…" }),
        }),
      },
      responses: {
        200: {
          description: "recorded before (a retry), or recorded and not used",
          content: {
            "application/json": {
              schema: z.object({
                notification: z.object({
                  id: z.string(),
                  outcome: z.string(),
                  duplicate: z.boolean(),
                }),
              }),
            },
          },
        },
        202: { description: "recorded; a run follows" },
        ...errorResponses(400, 404),
        503: { description: "not recorded (the store failed): Coder sends it again" },
      },
    }),
    async (c) => {
      const text = await c.req.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        deps.metrics.observeNotification(null, "malformed");
        return fail(c, "invalid_request", "not a Coder notification: the body is not JSON");
      }
      const parsed = CoderNotification.safeParse(json);
      if (!parsed.success) {
        deps.metrics.observeNotification(null, "malformed");
        const issue = parsed.error.issues[0];
        return fail(
          c,
          "invalid_request",
          `not a Coder notification: ${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "unexpected shape"}`,
        );
      }
      let accepted: ReturnType<typeof acceptNotification>;
      try {
        accepted = acceptNotification(
          deps.store,
          parsed.data,
          new Date().toISOString(),
          deps.followedKinds,
        );
      } catch (error) {
        deps.metrics.observeNotification(parsed.data.payload.notification_name, "unrecorded");
        deps.log.error(
          "a notification from Coder could not be recorded; Coder will send it again",
          {
            msgId: parsed.data.msg_id,
            message: toErrorInfo(error).message,
          },
        );
        return fail(c, "store_failed", "could not record the notification; send it again later");
      }
      const result = accepted.duplicate ? "duplicate" : accepted.outcome;
      deps.metrics.observeNotification(accepted.read.name, result);
      deps.log.info("notification from Coder", {
        msgId: accepted.read.msgId,
        name: accepted.read.name,
        result,
      });
      if (!accepted.duplicate && accepted.outcome === "waiting") deps.live?.nudge();
      const notification = { id: accepted.id, outcome: result, duplicate: accepted.duplicate };
      return c.json(
        { notification },
        accepted.duplicate || accepted.outcome === "ignored" ? 200 : 202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/hooks",
      summary: "Coder's notifications, newest first, with what each led to",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: { query: z.object({ limit: Limit, cursor: Cursor }) },
      responses: {
        200: {
          description: "a page of notifications",
          content: {
            "application/json": {
              schema: z.object({
                notifications: z.array(NotificationSchema),
                nextCursor: z.string().nullable(),
              }),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = deps.store.listNotifications({ limit, cursor });
      return c.json({ notifications: page.items, nextCursor: page.nextCursor }, 200);
    },
  );
}
