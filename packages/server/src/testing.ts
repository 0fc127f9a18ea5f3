import { CoderDxError, type Logger, silentLogger, valueOrders } from "@coder-dx/core";
import { aConfig, MemorySyncStore } from "@coder-dx/core/testing";
import { createApp } from "./app";
import { groupLookOf } from "./console/look";
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
    platformxEvents?: readonly string[] | null;
  } = {},
) {
  const store = new MemorySyncStore();
  const launched: LaunchRequest[] = [];
  const nudges: number[] = [];
  const app = createApp({
    hookSecret: options.hookSecret ?? null,
    platformxEvents: options.platformxEvents ?? null,
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
    groupLook: groupLookOf(aConfig()),
    config: aConfig(),
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

/** A browser's cookie jar, enough for these tests: name=value pairs from Set-Cookie. */
function jar() {
  const cookies = new Map<string, string>();
  return {
    take(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const at = (pair as string).indexOf("=");
        cookies.set((pair as string).slice(0, at), (pair as string).slice(at + 1));
      }
    },
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    get: (name: string) => cookies.get(name),
  };
}

/** Signs in on a given app: its cookies, a getter and a poster, and the pages' CSRF token. */
export async function signInOn(t: ReturnType<typeof createTestApp>, token: string) {
  const cookies = jar();
  const form = await t.app.request("/signin");
  cookies.take(form);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
  const signed = await t.app.request("/signin", {
    method: "POST",
    headers: { cookie: cookies.header(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, token }).toString(),
  });
  cookies.take(signed);
  const get = (path: string) => t.app.request(path, { headers: { cookie: cookies.header() } });
  const post = (path: string, fields: Record<string, string>) =>
    t.app.request(path, {
      method: "POST",
      headers: { cookie: cookies.header(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const overview = await get("/");
  const pageCsrf = /name="csrf" value="([^"]+)"/.exec(await overview.clone().text())?.[1] ?? "";
  return { ...t, cookies, signed, get, post, overview, pageCsrf };
}
