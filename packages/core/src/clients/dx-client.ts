import pLimit from "p-limit";
import type { z } from "zod";
import {
  DxAttributeGroups,
  DxAttributesUpdateResponse,
  DxErrorBody,
  type DxObservedUser,
  DxUserUpdateResponse,
  DxUsersPage,
} from "../domain/dx-user";
import { CoderDxError } from "../errors";
import { excerpt, HttpClient, HttpError, type RequestEvent } from "./http";
import { RateBudget } from "./rate-budget";

export interface DxClientOptions {
  url: string;
  token: string;
  requestsPerMinute?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Parallel `users.list` page reads after the first page. */
  readConcurrency?: number;
  onRequest?: (event: RequestEvent) => void;
}

const UNKNOWN_USER_CODES = new Set([
  "user_not_found",
  "not_found",
  "unknown_user",
  "no_users_found",
]);

/** DX errors are `{ok:false, error, error_details?}` with real 4xx statuses. */
export function describeDxError(status: number, body: string, endpoint: string): CoderDxError {
  let parsed: z.infer<typeof DxErrorBody> | null = null;
  try {
    const result = DxErrorBody.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : null;
  } catch {
    parsed = null;
  }
  const code = parsed?.error ?? null;
  const said = parsed
    ? [parsed.error, parsed.error_details?.message].filter(Boolean).join(": ")
    : excerpt(body);
  const prefix = `DX ${endpoint} → ${status}`;
  if (code === "not_authed" || code === "invalid_auth" || status === 401) {
    return new CoderDxError("dx_unauthorized", `${prefix}: DX_API_TOKEN was refused (${said})`, {
      endpoint,
      status,
    });
  }
  if (status === 403) {
    return new CoderDxError(
      "dx_unauthorized",
      `${prefix}: DX_API_TOKEN lacks a scope this call needs (${said})`,
      {
        endpoint,
        status,
      },
    );
  }
  if (status === 429 || status >= 500) {
    return new CoderDxError("dx_unavailable", `${prefix}: ${said}`, {
      endpoint,
      status,
      retryable: true,
    });
  }
  if ((code !== null && UNKNOWN_USER_CODES.has(code)) || status === 404) {
    return new CoderDxError(
      "dx_unknown_user",
      `${prefix}: DX has no user with this email (${said})`,
      { endpoint, status },
    );
  }
  return new CoderDxError("dx_rejected", `${prefix}: ${said}`, { endpoint, status });
}

type DxUsersPageBody = z.infer<typeof DxUsersPage>;

export interface WriteReceipt {
  attempts: number;
}

export class DxClient {
  private readonly http: HttpClient;
  private readonly readConcurrency: number;

  constructor(options: DxClientOptions) {
    this.readConcurrency = options.readConcurrency ?? 4;
    this.http = new HttpClient({
      service: "dx",
      baseUrl: options.url.replace(/\/+$/, ""),
      headers: { authorization: `Bearer ${options.token}` },
      budget: new RateBudget(options.requestsPerMinute ?? 600),
      describeError: describeDxError,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
  }

  private listPage(page: number) {
    return this.http.request({
      method: "GET",
      path: "/users.list",
      query: { page, page_size: 100 },
      schema: DxUsersPage,
    });
  }

  /**
   * Every user `users.list` shows, with attributes keyed by lower-cased group name
   * (DX matches group names case-insensitively). Deleted users are left out.
   * Any page failing fails the whole listing: a partial read-back must never drive a write.
   */
  async listUsers(): Promise<Map<string, DxObservedUser>> {
    // Each page is boiled down as it arrives, so the parsed pages never pile up.
    const users = new Map<string, DxObservedUser>();
    const keep = (page: DxUsersPageBody): number | null => {
      for (const user of page.users) {
        if (user.deleted_at) continue;
        const email = user.email.trim().toLowerCase();
        users.set(email, {
          email,
          attributes: Object.fromEntries(
            user.attributes.map((a) => [a.name.toLowerCase(), a.value]),
          ),
          githubUsername: user.github_username ?? null,
        });
      }
      return page.next_page;
    };
    const first = (await this.listPage(1)).data;
    let next = keep(first);
    const totalPages = first.total === undefined ? null : Math.ceil(first.total / 100);
    if (next === 2 && totalPages !== null && totalPages > 1) {
      const limit = pLimit(this.readConcurrency);
      const nexts = await Promise.all(
        Array.from({ length: totalPages - 1 }, (_, i) =>
          limit(async () => keep((await this.listPage(i + 2)).data)),
        ),
      );
      // If the listing grew while it was read, the last page points further: follow it.
      next = nexts.at(-1) ?? null;
    }
    while (next !== null) next = keep((await this.listPage(next)).data);
    return users;
  }

  /** One page of users.list: proves the token reaches DX and holds users:read. */
  async probeRead(): Promise<number | null> {
    return (await this.listPage(1)).data.total ?? null;
  }

  /**
   * Proves users:write without changing anything: an empty attribute list for an address
   * that cannot exist. DX answers "unknown user" when the scope is there, 401/403 when not.
   */
  async probeWrite(): Promise<void> {
    try {
      await this.http.request({
        method: "POST",
        path: "/users.attributes.update",
        body: { email: "coder-dx-doctor@example.invalid", attributes: [] },
        schema: DxAttributesUpdateResponse,
      });
    } catch (error) {
      if (error instanceof CoderDxError && error.code === "dx_unknown_user") return;
      throw error;
    }
  }

  /** Lower-cased names of the attribute groups DX has. */
  async listAttributeGroups(): Promise<Set<string>> {
    const { data } = await this.http.request({
      method: "GET",
      path: "/attributeGroups.list",
      schema: DxAttributeGroups,
    });
    return new Set(data.attribute_groups.map((group) => group.name.toLowerCase()));
  }

  /**
   * Sets the named groups (null removes). A 200 whose `failures` is non-empty, or that
   * reports any group `updated: false`, is a rejection.
   */
  async updateAttributes(
    email: string,
    attributes: Record<string, string | null>,
  ): Promise<WriteReceipt> {
    const { data, attempts } = await this.http.request({
      method: "POST",
      path: "/users.attributes.update",
      body: {
        email,
        attributes: Object.entries(attributes).map(([name, value]) => ({ name, value })),
      },
      schema: DxAttributesUpdateResponse,
    });
    const notUpdated = data.user.attributes.filter((a) => a.updated === false).map((a) => a.name);
    if (data.user.failures.length > 0 || notUpdated.length > 0) {
      const error = new HttpError(
        "dx_rejected",
        `DX POST /users.attributes.update accepted the call but refused ${
          data.user.failures.length > 0
            ? `: ${excerpt(JSON.stringify(data.user.failures))}`
            : `group(s) ${notUpdated.join(", ")}`
        }`,
        { endpoint: "POST /users.attributes.update", status: 200 },
      );
      error.attempts = attempts;
      throw error;
    }
    return { attempts };
  }

  async updateProperties(
    email: string,
    properties: Record<string, string | null>,
  ): Promise<WriteReceipt> {
    const { attempts } = await this.http.request({
      method: "POST",
      path: "/users.update",
      body: { email, ...properties },
      schema: DxUserUpdateResponse,
    });
    return { attempts };
  }
}
