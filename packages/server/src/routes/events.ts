import { EVENT_OUTCOMES, EVENT_SOURCES, timeParameter } from "@coder-dx/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type AppDeps, type AppEnv, requireRole } from "../context";
import { Cursor, errorResponses, Limit } from "../schemas";

export const EventSchema = z
  .object({
    id: z.string(),
    key: z
      .string()
      .openapi({ description: "the occurrence: a second record of it changes nothing" }),
    name: z.string().openapi({ example: "coder.user.suspended" }),
    email: z.string().nullable().openapi({ description: "the subject's DX email; null: invalid" }),
    timestamp: z.string().openapi({ description: "Unix seconds, as PlatformX takes it" }),
    metadata: z.record(z.string(), z.string()),
    source: z.enum(EVENT_SOURCES),
    subjectUserId: z.string().nullable(),
    notificationId: z.string().nullable(),
    runId: z.string().nullable(),
    outcome: z.enum(EVENT_OUTCOMES),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    attempts: z.number().int().openapi({ description: "sends begun" }),
    recordedAt: z.string().openapi({ format: "date-time" }),
    claimedAt: z.string().nullable().openapi({ format: "date-time" }),
    claimedBy: z.string().nullable(),
    sentAt: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("PlatformxEvent");

export const EventsQuery = z.object({
  name: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  outcome: z.enum(EVENT_OUTCOMES).optional(),
  since: timeParameter("since")
    .openapi({ type: "string", description: "recorded at or after this time" })
    .optional(),
  until: timeParameter("until")
    .openapi({ type: "string", description: "recorded before this time" })
    .optional(),
  limit: Limit,
  cursor: Cursor,
});

/** PlatformX's outbox, read-only: what was recorded, sent, refused or could not be told. */
export function registerEventRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/events",
      summary: "PlatformX events, newest first, with what became of each",
      description:
        "Filter by name, email, outcome (sent, rejected, invalid, pending, unknown) and time recorded [since, until); page with the cursor.",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: { query: EventsQuery },
      responses: {
        200: {
          description: "a page of events",
          content: {
            "application/json": {
              schema: z.object({ events: z.array(EventSchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    (c) => {
      const page = deps.store.listEvents(c.req.valid("query"));
      return c.json({ events: page.items, nextCursor: page.nextCursor }, 200);
    },
  );
}
