import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { atLeast } from "../auth";
import { ApiError, type AppDeps, type AppEnv, requireRole } from "../context";
import { errorResponses, RunSchema, RunsQuery, StartRunBody } from "../schemas";
import { z } from "@hono/zod-openapi";

export function registerRunRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/runs",
      summary: "Start a run in the background",
      description:
        "Returns at once with the run as recorded; poll GET /v1/runs/{id}. `force` needs the admin role.",
      "x-role": "operator",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "operator")] as const,
      request: { body: { content: { "application/json": { schema: StartRunBody } } } },
      responses: {
        202: {
          description: "the run, started",
          content: { "application/json": { schema: z.object({ run: RunSchema }) } },
        },
        ...errorResponses(400, 401, 403, 409, 413),
      },
    }),
    (c) => {
      // With no body at all the validator passes `{}` through untouched: apply the defaults here.
      const body = StartRunBody.parse(c.req.valid("json") ?? {});
      if (body.force && !atLeast(c.get("role"), "admin"))
        throw new ApiError("forbidden", "force needs the admin role");
      const run = deps.launchRun({
        trigger: "api",
        dryRun: body.dryRun,
        force: body.force,
        emails: body.emails,
      });
      return c.json({ run }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/runs",
      summary: "Runs, newest first",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: { query: RunsQuery },
      responses: {
        200: {
          description: "a page of runs",
          content: {
            "application/json": {
              schema: z.object({ runs: z.array(RunSchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = deps.store.listRuns({ limit, cursor });
      return c.json({ runs: page.items, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/runs/{id}",
      summary: "One run",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      request: {
        params: z.object({
          id: z.string().openapi({ param: { name: "id", in: "path" }, example: "42" }),
        }),
      },
      responses: {
        200: {
          description: "the run",
          content: { "application/json": { schema: z.object({ run: RunSchema }) } },
        },
        ...errorResponses(401, 403, 404),
      },
    }),
    (c) => {
      const run = deps.store.getRun(c.req.valid("param").id);
      if (!run) throw new ApiError("not_found", `no run with id ${c.req.valid("param").id}`);
      return c.json({ run }, 200);
    },
  );
}
