import { CoderDxError, type Logger, silentLogger, valueOrders } from "@coder-dx/core";
import { aConfig, MemorySyncStore } from "@coder-dx/core/testing";
import { createApp } from "./app";
import { parseApiTokens } from "./auth";
import type { LaunchRequest } from "./context";
import { Metrics } from "./metrics";

export const TOKENS = {
  viewer: "viewer-token-0123456789",
  operator: "operator-token-0123456789",
  admin: "admin-token-0123456789",
} as const;

/** createApp with in-memory fakes: a store, and a launcher that records the request as a run. */
export function createTestApp(
  options: {
    busy?: boolean;
    log?: Logger;
    tokens?: Record<string, string>;
    hookSecret?: string | null;
  } = {},
) {
  const store = new MemorySyncStore();
  const launched: LaunchRequest[] = [];
  const nudges: number[] = [];
  const app = createApp({
    hookSecret: options.hookSecret ?? null,
    live: { nudge: () => nudges.push(Date.now()) },
    store,
    tokens: parseApiTokens(
      Object.entries(options.tokens ?? TOKENS).map(([role, token]) => `${role}:${token}`),
      "test",
    ),
    metrics: new Metrics().readStore(store),
    log: options.log ?? silentLogger,
    bodyLimitBytes: 4096,
    valueOrders: valueOrders(aConfig()),
    launchRun: (request) => {
      if (options.busy)
        throw new CoderDxError(
          "run_in_progress",
          "another coder-dx run holds this database's lease",
        );
      launched.push(request);
      return store.startRun({
        trigger: request.trigger,
        dryRun: request.dryRun,
        scoped: request.emails.length > 0,
        startedAt: "2026-11-22T06:00:00.000Z",
      });
    },
  });
  const call = (
    method: string,
    path: string,
    token: string | null = TOKENS.admin,
    body?: unknown,
  ) =>
    app.request(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { app, store, launched, nudges, call };
}
