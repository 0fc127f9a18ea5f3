import { z } from "zod";
import {
  CoderBuildInfo,
  CoderGroup,
  CoderTemplate,
  type CoderUser,
  CoderUser as CoderUserSchema,
  CoderActivityRow,
  CoderUserActivity,
  CoderUsersPage,
} from "../domain/coder-user";
import { CoderDxError, isCoderDxError } from "../errors";
import type { CallOptions } from "../ports";
import { createDispatcher } from "./dispatcher";
import { excerpt, HttpClient, type ServiceClientOptions } from "./http";
import { RateBudget } from "./rate-budget";

export interface CoderClientOptions extends ServiceClientOptions {
  pageSize?: number;
}

/** `codersdk.Workspace`, as far as coder-dx reads it. */
const CoderWorkspace = z.object({ id: z.string(), created_at: z.string() });

const CoderErrorBody = z.object({
  message: z.string(),
  detail: z.string().optional(),
  validations: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
});

/**
 * Coder's error body is `codersdk.Response`, `{message, detail?, validations?}` (coderd/httpapi);
 * the token is never echoed. A 404 without that body never came from coderd: the URL is wrong.
 */
export function describeCoderError(status: number, body: string, endpoint: string): CoderDxError {
  let parsed: z.infer<typeof CoderErrorBody> | null = null;
  try {
    const result = CoderErrorBody.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : null;
  } catch {
    parsed = null;
  }
  if (status === 404 && parsed === null) {
    return new CoderDxError(
      "coder_url_invalid",
      `Coder ${endpoint} → 404 with a body that is not Coder's {"message":…} answer (${excerpt(body)}): CODER_URL does not point at a Coder deployment; it should be the URL you open Coder's dashboard at, without /api/v2`,
      { endpoint, status },
    );
  }
  if (status === 404 && parsed?.detail?.includes("insights are disabled")) {
    return new CoderDxError(
      "coder_forbidden",
      `Coder ${endpoint} → 404: ${parsed.detail} Usage needs CODER_STATS_COLLECTION_USAGE_STATS_ENABLE on the Coder server`,
      { endpoint, status },
    );
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

    // Coder has no page-size cap (its own CLI asks for everything at once). Pages are read one
    // after another (keyset), so their number is paid in round trips: 5,000 per page reads
    // 100,000 people in 20, while each page's parsed objects still die young.
    this.pageSize = options.pageSize ?? 5000;
    const url = options.url.replace(/\/+$/, "");
    this.http = new HttpClient({
      service: "coder",
      baseUrl: `${url}/api/v2`,
      urlSetting: { name: "CODER_URL", value: url },
      headers: { "Coder-Session-Token": options.token },
      budget: RateBudget.perMinute(options.requestsPerMinute ?? 300),
      // Coder's reads are sequential keyset pages plus two calls beside them.
      dispatcher: options.dispatcher ?? createDispatcher({ connections: 4, proxy: options.proxy }),
      describeError: describeCoderError,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.maxRetryTimeMs === undefined ? {} : { maxRetryTimeMs: options.maxRetryTimeMs }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
  }

  async getBuildInfo(): Promise<{ version: string }> {
    return (await this.http.request({ method: "GET", path: "/buildinfo", schema: CoderBuildInfo }))
      .data;
  }

  async getMe(options: CallOptions = {}): Promise<CoderUser> {
    return (
      await this.http.request({
        method: "GET",
        path: "/users/me",
        schema: CoderUserSchema,
        signal: options.signal,
      })
    ).data;
  }

  /**
   * One user by id or username (`GET /api/v2/users/{user}`), or null when Coder has no such
   * user: it answers 400 or 404 with its own `{"message":…}` body (reference/coder/API.md §9).
   * A 404 that is not Coder's answer still means CODER_URL is wrong, and fails.
   */
  getUser(user: string, options: CallOptions = {}): Promise<CoderUser | null> {
    return this.getOrNull(`/users/${encodeURIComponent(user)}`, CoderUserSchema, options);
  }

  /**
   * When a workspace was created (`GET /api/v2/workspaces/{workspace}`), or null when Coder has
   * no such workspace (deleted since): PlatformX's time for "Workspace Created".
   */
  getWorkspace(id: string, options: CallOptions = {}): Promise<{ created_at: string } | null> {
    return this.getOrNull(`/workspaces/${encodeURIComponent(id)}`, CoderWorkspace, options);
  }

  /** One resource, or null for Coder's own 400 or 404 (no such thing; see `getUser`). */
  private async getOrNull<T>(
    path: string,
    schema: z.ZodType<T>,
    options: CallOptions,
  ): Promise<T | null> {
    try {
      return (await this.http.request({ method: "GET", path, schema, signal: options.signal }))
        .data;
    } catch (error) {
      const status = (error as CoderDxError).details?.status;
      if (
        error instanceof CoderDxError &&
        error.code === "coder_rejected" &&
        (status === 400 || status === 404)
      )
        return null;
      throw error;
    }
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

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * Every user (or, with `search`, those whose username or email contains it: Coder's `q`), by
   * keyset pages (`after_id`), which stay correct while users are added.
   * The first page's `count` is how many there are (coderd counts the rows matching before
   * limit; with `after_id`, those after the cursor). Users created while paging may make the
   * listing longer than that; a shorter one, a cursor that does not move on, or a user listed
   * twice means the listing cannot be trusted, and it is refused: removals would be computed
   * from it.
   */
  async listUsers(options: CallOptions & { search?: string } = {}): Promise<CoderUser[]> {
    const users: CoderUser[] = [];
    const seen = new Set<string>();
    let expected: number | null = null;
    let afterId: string | undefined;
    const refuse = (why: string) =>
      new CoderDxError(
        "listing_incomplete",
        `Coder GET /users ${why}; refusing to plan from a listing that cannot be trusted (nothing was written)`,
        { endpoint: "GET /users" },
      );
    for (let page = 1; ; page++) {
      const { data } = await this.http.request({
        method: "GET",
        path: "/users",
        query: { limit: this.pageSize, after_id: afterId, q: options.search },
        schema: CoderUsersPage,
        signal: options.signal,
      });
      expected ??= data.count;
      // Room for users created while the listing is read, but never an endless loop.
      if (page > 2 * Math.ceil(expected / this.pageSize) + 10)
        throw refuse(`kept paging past ${page - 1} pages for ${expected} users`);
      for (const user of data.users) {
        if (seen.has(user.id))
          throw refuse(`listed ${user.username} (${user.id}) twice: the cursor did not move on`);
        seen.add(user.id);
        users.push(user);
      }
      if (data.users.length < this.pageSize) break;
      afterId = data.users[data.users.length - 1]?.id;
    }
    if (users.length < (expected ?? 0)) {
      throw refuse(`returned ${users.length} users but reported ${expected}`);
    }
    return users;
  }

  /**
   * Every template the token can read (`GET /api/v2/templates`, swagger "Get all templates":
   * an array of codersdk.Template; deleted templates are not listed).
   */
  async listTemplates(options: CallOptions = {}): Promise<CoderTemplate[]> {
    return (
      await this.http.request({
        method: "GET",
        path: "/templates",
        schema: z.array(CoderTemplate),
        signal: options.signal,
      })
    ).data;
  }

  /**
   * Every group the token can read, members inline (`GET /api/v2/groups`, swagger "Get
   * groups": an array of codersdk.Group). Groups are a Premium feature (Template RBAC): a
   * Coder without the licence answers 403 ("… is a Premium feature. Contact sales!", newer
   * servers) or 404 (older ones, and open-source builds without the route); either is
   * refused here, naming the feature, before anything is written. A group listing fewer
   * members than it counts (a token that may not read them all) is refused too: people
   * would get the wrong group.
   */
  async listGroups(options: CallOptions = {}): Promise<CoderGroup[]> {
    let groups: CoderGroup[];
    try {
      groups = (
        await this.http.request({
          method: "GET",
          path: "/groups",
          schema: z.array(CoderGroup),
          signal: options.signal,
        })
      ).data;
    } catch (error) {
      const status = (error as CoderDxError).details?.status;
      if (isCoderDxError(error) && (status === 403 || status === 404))
        throw new CoderDxError(
          "config_invalid",
          `Coder refused GET /groups (${status}): groups are a Premium feature (Template RBAC) this Coder does not have, or the token's user may not read them; remove the groups.extra entry with from: group, or give coder-dx a Premium Coder and an Owner's or User Admin's token`,
          { endpoint: "GET /groups", status },
        );
      throw error;
    }
    for (const group of groups) {
      const listed = group.members?.length ?? 0;
      if (group.total_member_count !== undefined && group.total_member_count > listed)
        throw new CoderDxError(
          "listing_incomplete",
          `Coder GET /groups listed ${listed} of group ${group.name}'s ${group.total_member_count} members (the token may not read them all); refusing to assign groups from it (nothing was written)`,
          { endpoint: "GET /groups" },
        );
    }
    return groups;
  }

  /** Active seconds per user id over [start, end); users with no activity are absent. */
  async getUserActivity(
    start: Date,
    end: Date,
    options: CallOptions & { templateIds?: readonly string[] } = {},
  ): Promise<Map<string, number>> {
    const { data } = await this.http.request({
      method: "GET",
      path: "/insights/user-activity",
      query: {
        start_time: start.toISOString().replace(".000Z", "Z"),
        end_time: end.toISOString().replace(".000Z", "Z"),
        // Comma-separated UUIDs (reference/coder/API.md §3.1): that template's usage alone.
        template_ids:
          options.templateIds && options.templateIds.length > 0
            ? options.templateIds.join(",")
            : undefined,
      },
      schema: CoderUserActivity,
      signal: options.signal,
    });
    const seconds = new Map<string, number>();
    const endpoint = "GET /insights/user-activity";
    data.report.users.forEach((raw, i) => {
      const parsed = CoderActivityRow.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CoderDxError(
          "coder_bad_response",
          `Coder ${endpoint}: unexpected response (report.users.${i}.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "unexpected shape"})`,
          { endpoint },
        );
      }
      const row = parsed.data;
      if (seconds.has(row.user_id)) {
        throw new CoderDxError(
          "coder_bad_response",
          `Coder ${endpoint} listed ${row.username} (${row.user_id}) twice; refusing to add up usage from a report that cannot be trusted`,
          { endpoint },
        );
      }
      seconds.set(row.user_id, row.seconds);
    });
    return seconds;
  }
}
