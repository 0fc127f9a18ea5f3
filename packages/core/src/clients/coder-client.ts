import { z } from "zod";
import {
  CoderBuildInfo,
  type CoderUser,
  CoderUser as CoderUserSchema,
  CoderUserActivity,
  CoderUsersPage,
} from "../domain/coder-user";
import { CoderDxError } from "../errors";
import { excerpt, HttpClient, type RequestEvent } from "./http";
import { RateBudget } from "./rate-budget";

export interface CoderClientOptions {
  url: string;
  token: string;
  requestsPerMinute?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  pageSize?: number;
  onRequest?: (event: RequestEvent) => void;
}

const CoderErrorBody = z.object({
  message: z.string(),
  detail: z.string().optional(),
  validations: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
});

/** Coder's error body is `{message, detail?, validations?}`; the token is never echoed. */
export function describeCoderError(status: number, body: string, endpoint: string): CoderDxError {
  let parsed: z.infer<typeof CoderErrorBody> | null = null;
  try {
    const result = CoderErrorBody.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : null;
  } catch {
    parsed = null;
  }
  const said = parsed
    ? [
        parsed.message,
        parsed.detail,
        ...(parsed.validations ?? []).map((v) => `${v.field}: ${v.detail}`),
      ]
        .filter(Boolean)
        .join(" ")
    : excerpt(body);
  const prefix = `Coder ${endpoint} → ${status}`;
  if (status === 401) {
    return new CoderDxError(
      "coder_unauthorized",
      `${prefix}: CODER_SESSION_TOKEN was refused: ${said}`,
      { endpoint, status },
    );
  }
  if (status === 403 || (status === 404 && endpoint.includes("/insights/"))) {
    return new CoderDxError(
      "coder_forbidden",
      `${prefix}: the CODER_SESSION_TOKEN's user may not read this (needs Owner, Auditor or Template Admin): ${said}`,
      { endpoint, status },
    );
  }
  if (status === 429 || status >= 500) {
    return new CoderDxError("coder_unavailable", `${prefix}: ${said}`, {
      endpoint,
      status,
      retryable: true,
    });
  }
  return new CoderDxError("coder_rejected", `${prefix}: ${said}`, { endpoint, status });
}

/** The trailing usage window: `days` whole UTC days ending at today's 00:00 UTC. */
export function usageWindow(now: Date, days: number): { start: Date; end: Date } {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const start = new Date(end.getTime() - days * 86_400_000);
  return { start, end };
}

export class CoderClient {
  private readonly http: HttpClient;
  private readonly pageSize: number;

  constructor(options: CoderClientOptions) {
    // Coder has no page-size cap (its own CLI asks for everything at once). 1,000 per page keeps
    // each page's parsed garbage small enough to die young: larger pages raised peak memory.
    this.pageSize = options.pageSize ?? 1000;
    this.http = new HttpClient({
      service: "coder",
      baseUrl: `${options.url.replace(/\/+$/, "")}/api/v2`,
      headers: { "Coder-Session-Token": options.token },
      budget: new RateBudget(options.requestsPerMinute ?? 300),
      describeError: describeCoderError,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
  }

  async getBuildInfo(): Promise<{ version: string }> {
    return (await this.http.request({ method: "GET", path: "/buildinfo", schema: CoderBuildInfo }))
      .data;
  }

  async getMe(): Promise<CoderUser> {
    return (await this.http.request({ method: "GET", path: "/users/me", schema: CoderUserSchema }))
      .data;
  }

  /** How many users this token can see (one cheap page). */
  async countUsers(): Promise<number> {
    return (
      await this.http.request({
        method: "GET",
        path: "/users",
        query: { limit: 1 },
        schema: CoderUsersPage,
      })
    ).data.count;
  }

  /**
   * Every user, by keyset pages (`after_id`), which stay correct while users are added.
   * The first page's `count` is the total; a listing that ends with a different number
   * is incomplete and refused, because removals would be computed from it.
   */
  async listUsers(): Promise<CoderUser[]> {
    const users: CoderUser[] = [];
    let expected: number | null = null;
    let afterId: string | undefined;
    for (;;) {
      const { data } = await this.http.request({
        method: "GET",
        path: "/users",
        query: { limit: this.pageSize, after_id: afterId },
        schema: CoderUsersPage,
      });
      expected ??= data.count;
      for (const user of data.users) users.push(user);
      if (data.users.length < this.pageSize) break;
      afterId = data.users[data.users.length - 1]?.id;
    }
    if (users.length !== expected) {
      throw new CoderDxError(
        "listing_incomplete",
        `Coder GET /users returned ${users.length} users but reported ${expected}; refusing to plan from an incomplete listing`,
        { endpoint: "GET /users" },
      );
    }
    return users;
  }

  /** Active seconds per user id over [start, end); users with no activity are absent. */
  async getUserActivity(start: Date, end: Date): Promise<Map<string, number>> {
    const { data } = await this.http.request({
      method: "GET",
      path: "/insights/user-activity",
      query: {
        start_time: start.toISOString().replace(".000Z", "Z"),
        end_time: end.toISOString().replace(".000Z", "Z"),
      },
      schema: CoderUserActivity,
    });
    return new Map(data.report.users.map((row) => [row.user_id, row.seconds]));
  }
}
