import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { cohortCounts, cohortMovement, describeUser } from "@coder-dx/core";
import { ApiError, type AppDeps, type AppEnv, requireRole } from "../context";
import {
  ChangeSchema,
  ChangesQuery,
  errorResponses,
  ReportQuery,
  ReportSchema,
  UserQuery,
  UserSchema,
} from "../schemas";

export function registerChangeRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/changes",
      summary: "Audit rows, newest first",
      description:
        "Filter by email, run, outcome and time range [since, until); page with the cursor.",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: { query: ChangesQuery },
      responses: {
        200: {
          description: "a page of audit rows",
          content: {
            "application/json": {
              schema: z.object({
                changes: z.array(ChangeSchema),
                nextCursor: z.string().nullable(),
              }),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    (c) => {
      const page = deps.store.listChanges(c.req.valid("query"));
      return c.json({ changes: page.items, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/users/{email}",
      summary: "A person's pushed state and history",
      description:
        "With `at`, the state on that date (end of the UTC day) or at that time, and the history up to it.",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: {
        params: z.object({
          email: z
            .string()
            .min(1)
            .openapi({ param: { name: "email", in: "path" }, example: "alice@example.com" }),
        }),
        query: UserQuery,
      },
      responses: {
        200: { description: "the person", content: { "application/json": { schema: UserSchema } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    (c) => {
      const { email } = c.req.valid("param");
      const report = describeUser(deps.store, email, c.req.valid("query").at);
      if (!report)
        throw new ApiError("not_found", `coder-dx has no record of ${email.trim().toLowerCase()}`);
      return c.json(report, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/report",
      summary: "The cohort report",
      description:
        "How many people hold each value of each owned group on a date (`at`, default now), or with `from` and `to` the movements between two dates: a from→to matrix per group, with ups, downs, joiners and leavers. From the writes DX confirmed.",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: { query: ReportQuery },
      responses: {
        200: {
          description: "the report",
          content: { "application/json": { schema: ReportSchema } },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    (c) => {
      const { at, from, to } = c.req.valid("query");
      if (from && to) {
        return c.json(
          { movement: cohortMovement(deps.store, { from, to }, deps.valueOrders ?? {}) },
          200,
        );
      }
      return c.json({ report: cohortCounts(deps.store, at ?? new Date().toISOString()) }, 200);
    },
  );
}
