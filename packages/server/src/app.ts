import { isCoderDxError } from "@coder-dx/core";
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { ApiError, type AppDeps, type AppEnv, fail } from "./context";
import { registerConsole } from "./console/routes";
import { renderDocsPage } from "./docs-page";
import { registerChangeRoutes } from "./routes/changes";
import { registerEventRoutes } from "./routes/events";
import { HOOK_PATH, maskHookPath, registerHookRoutes } from "./routes/hooks";
import { registerRunRoutes } from "./routes/runs";
import { registerSystemRoutes } from "./routes/system";

export const API_INFO = { title: "coder-dx", version: "1.0.0" };

/**
 * The HTTP API. Cross-cutting concerns live here: request ids, the body limit, access logs
 * and metrics, the validation hook, one error envelope for every failure, the OpenAPI
 * document and its reference page. Routes validate, call the store or launch a run, and map errors.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const problems = result.error.issues
          .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
          .join("; ");
        return fail(c as never, "invalid_request", problems);
      }
    },
  });

  app.use("*", requestId());
  // No route takes a query parameter twice: `?limit=1&limit=2` is a mistake to name, not a
  // number to fail to read ("expected number, received NaN").
  app.use("/v1/*", async (c, next) => {
    const counts = new Map<string, number>();
    for (const key of new URL(c.req.url).searchParams.keys())
      counts.set(key, (counts.get(key) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1);
    if (repeated.length > 0)
      return fail(
        c as never,
        "invalid_request",
        repeated.map(([key, n]) => `${key}: given ${n} times; give it once`).join("; "),
      );
    await next();
  });
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath || "unmatched";
    deps.metrics.http.inc({ method: c.req.method, route, status: String(c.res.status) });
    deps.log.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      // The hook's last segment is a secret, whether right or a guess.
      path: maskHookPath(c.req.path),
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  const limit = bodyLimit({
    maxSize: deps.bodyLimitBytes ?? 64 * 1024,
    onError: (c) =>
      fail(
        c as never,
        "payload_too_large",
        `request bodies are limited to ${deps.bodyLimitBytes ?? 64 * 1024} bytes`,
      ),
  });
  // The hook checks its secret first (a wrong one is a 404 whatever the body), then its own limit.
  app.use("*", (c, next) => (c.req.path.startsWith(`${HOOK_PATH}/`) ? next() : limit(c, next)));

  registerSystemRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerChangeRoutes(app, deps);
  registerHookRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerConsole(app as never, deps);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  const document = () => app.getOpenAPIDocument({ openapi: "3.0.3", info: API_INFO });
  app.get("/openapi.json", (c) => c.json(document()));
  app.get("/docs", (c) =>
    c.html(renderDocsPage(document() as unknown as Parameters<typeof renderDocsPage>[0])),
  );

  app.notFound((c) => fail(c, "not_found", `no route ${c.req.method} ${maskHookPath(c.req.path)}`));
  app.onError((error, c) => {
    if (error instanceof ApiError || isCoderDxError(error))
      return fail(c, error.code, error.message);
    if (error instanceof HTTPException) {
      return fail(
        c,
        error.status === 413 ? "payload_too_large" : "invalid_request",
        error.message || "invalid request",
      );
    }
    deps.log.error("unhandled error", {
      requestId: c.get("requestId"),
      message: error.message,
      stack: error.stack,
    });
    return fail(
      c,
      "internal",
      "internal error; the server log has the details under this request id",
    );
  });
  return app;
}
