import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type AppDeps, type AppEnv, requireRole } from "../context";
import { errorResponses } from "../schemas";

export function registerSystemRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      summary: "Liveness",
      "x-role": "none",
      responses: {
        200: {
          description: "alive",
          content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
        },
      },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      "x-role": "viewer",
      security: [{ bearer: [] }],
      middleware: [requireRole(deps.tokens, "viewer")] as const,
      responses: {
        200: {
          description: "Prometheus text format",
          content: { "text/plain": { schema: z.string() } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) =>
      c.text(await deps.metrics.text(), 200, { "content-type": deps.metrics.registry.contentType }),
  );
}
