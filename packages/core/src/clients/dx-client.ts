import pLimit from "p-limit";
import type { z } from "zod";
import {
  type DxAttributesAnswer,
  DxAttributeGroups,
  DxAttributesUpdateResponse,
  DxErrorBody,
  type DxObservedUser,
  type DxPropertiesAnswer,
  DxUserUpdateResponse,
  DxUsersPage,
} from "../domain/dx-user";
import { CoderDxError } from "../errors";
import type { CallOptions } from "../ports";
import { createDispatcher } from "./dispatcher";
import { excerpt, HttpClient, type ServiceClientOptions } from "./http";
import { RateBudget, type RequestBudget } from "./rate-budget";

export interface DxClientOptions extends ServiceClientOptions {
  /** Parallel requests: sockets in the pool and `users.list` pages read at once. */
  concurrency?: number;
  /** The account's budget, shared with PlatformX events and other processes (`SharedBudget`). */
  budget?: RequestBudget;
}

/** DX's default base URL, named in the fix for a wrong one. */
const DX_API = "https://api.getdx.com";
const PAGE_SIZE = 100;
/** 2,000,000 people: twenty times the largest organisation coder-dx is designed for. */
const MAX_PAGES = 20_000;

function parseEnvelope(body: string): z.infer<typeof DxErrorBody> | null {
  try {
    const result = DxErrorBody.safeParse(JSON.parse(body));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/**
 * DX errors are `{ok:false, error, error_details?}` with real 4xx statuses (reference/dx/API.md
 * §2). The status of an unknown email is undocumented, so a 4xx here is only `dx_rejected`
 * carrying DX's own code: whether it means "no such user" is decided by the run, from the
 * read-back. A 404 that is not DX's envelope never came from DX's API: the URL is wrong.
 */
export function describeDxError(status: number, body: string, endpoint: string): CoderDxError {
  const parsed = parseEnvelope(body);
  const code = parsed?.error ?? null;
  const said = parsed
    ? [parsed.error, parsed.error_details?.message].filter(Boolean).join(": ")
    : excerpt(body);
  const prefix = `DX ${endpoint} → ${status}`;
  const details = { endpoint, status, ...(code ? { upstreamCode: code } : {}) };
  if (code === "not_authed" || code === "invalid_auth" || status === 401) {
    return new CoderDxError(
      "dx_unauthorized",
      `${prefix}: DX_API_TOKEN was refused (${said})`,
      details,
    );
  }
  if (status === 403) {
    return new CoderDxError(
      "dx_unauthorized",
      `${prefix}: DX_API_TOKEN lacks a scope this call needs (${said})`,
      details,
    );
  }
  if (status === 429 || status >= 500) {
    return new CoderDxError("dx_unavailable", `${prefix}: ${said}`, {
      ...details,
      retryable: true,
    });
  }
  if (status === 404 && parsed === null) {
    return new CoderDxError(
      "dx_url_invalid",
      `${prefix} with a body that is not DX's {"ok":false,"error":…} answer (${said}): DX_API_URL does not point at DX's Web API; it should be ${DX_API} (or your DX instance's API URL)`,
      details,
    );
  }
  return new CoderDxError("dx_rejected", `${prefix}: ${said}`, details);
}

/** DX may answer 200 with `ok:false` (every method page says to check `ok`): read its code. */
function describeDxFailedBody(json: unknown, body: string, endpoint: string): CoderDxError | null {
  const ok = (json as { ok?: unknown } | null)?.ok;
  return ok === false || ok === "false" ? describeDxError(200, body, endpoint) : null;
}

type DxUsersPageBody = z.infer<typeof DxUsersPage>;

export interface DxWriteAnswer<T> {
  attempts: number;
  answer: T;
}

export class DxClient {
  private readonly http: HttpClient;
  private readonly concurrency: number;

  constructor(options: DxClientOptions) {
    this.concurrency = options.concurrency ?? 8;
    const url = options.url.replace(/\/+$/, "");
    this.http = new HttpClient({
      service: "dx",
      baseUrl: url,
      urlSetting: { name: "DX_API_URL", value: url },
      headers: { authorization: `Bearer ${options.token}` },
      budget: options.budget ?? RateBudget.perSecond(options.requestsPerMinute ?? 600),
      dispatcher:
        options.dispatcher ??
        createDispatcher({ connections: this.concurrency, proxy: options.proxy }),
      describeError: describeDxError,
      describeFailedBody: describeDxFailedBody,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.maxRetryTimeMs === undefined ? {} : { maxRetryTimeMs: options.maxRetryTimeMs }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private listPage(page: number, signal?: AbortSignal) {
    return this.http.request({
      method: "GET",
      path: "/users.list",
      query: { page, page_size: PAGE_SIZE },
      schema: DxUsersPage,
      signal,
    });
  }

  /**
   * Every user `users.list` shows, with attributes keyed by lower-cased group name
   * (DX matches group names case-insensitively). Deleted users are left out.
   *
   * A listing that cannot be trusted fails whole, and within a few pages, because removals and
   * downgrades would be computed from it: any page failing; a `next_page` that does not advance
   * by one or points past the page's own `total_pages`; a page that repeats an earlier page or a
   * user already listed; an empty page that still names a next one; more pages than
   * `total_pages`, or more users than `total`, where DX sent them (the largest it sent: the
   * listing may grow while it is read).
   */
  async listUsers({ signal }: CallOptions = {}): Promise<Map<string, DxObservedUser>> {
    // Each page is boiled down as it arrives, so the parsed pages never pile up.
    const users = new Map<string, DxObservedUser>();
    const seen = new Set<string>();
    /** Each page's users in order, by the page that first listed them. */
    const pages = new Map<string, number>();
    let knownPages: number | null = null;
    let knownUsers: number | null = null;
    const refuse = (why: string) =>
      new CoderDxError(
        "listing_incomplete",
        `DX GET /users.list ${why}; refusing to plan from a listing that cannot be trusted (nothing was written)`,
        { endpoint: "GET /users.list" },
      );
    const keep = (page: number, body: DxUsersPageBody): number | null => {
      const next = body.next_page;
      if (body.total_pages !== undefined) knownPages = Math.max(knownPages ?? 0, body.total_pages);
      if (body.total !== undefined) knownUsers = Math.max(knownUsers ?? 0, body.total);
      if (next !== null && next !== page + 1)
        throw refuse(`page ${page} named page ${next} as the next one`);
      if (next !== null && body.total_pages !== undefined && next > body.total_pages)
        throw refuse(`page ${page} points past its own total_pages (${body.total_pages})`);
      if (knownPages !== null && page > knownPages)
        throw refuse(`went on to page ${page}, but DX reported ${knownPages} pages`);
      if (body.users.length === 0 && next !== null)
        throw refuse(`page ${page} listed nobody but named page ${next} as the next one`);
      const fingerprint = body.users.map((u) => u.id ?? u.email.trim().toLowerCase()).join("\n");
      const earlier = body.users.length > 0 ? pages.get(fingerprint) : undefined;
      if (earlier !== undefined)
        throw refuse(`page ${page} repeats page ${earlier} (the same users in the same order)`);
      pages.set(fingerprint, page);
      for (const user of body.users) {
        const key = user.id ?? `email:${user.email.trim().toLowerCase()}`;
        if (seen.has(key))
          throw refuse(`page ${page} repeats ${user.email}, already listed on an earlier page`);
        seen.add(key);
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
      if (knownUsers !== null && seen.size > knownUsers)
        throw refuse(`listed ${seen.size} users by page ${page}, but DX reported ${knownUsers}`);
      return next;
    };

    const first = (await this.listPage(1, signal)).data;
    let next = keep(1, first);
    const totalPages =
      first.total_pages ??
      (first.total === undefined ? null : Math.max(1, Math.ceil(first.total / PAGE_SIZE)));
    if (totalPages !== null && totalPages > MAX_PAGES)
      throw refuse(`reports ${totalPages} pages, more than the ${MAX_PAGES} coder-dx reads`);
    let page = 1;
    if (next === 2 && totalPages !== null && totalPages > 1) {
      // The pages are known up front: read them at the client's concurrency, then check the chain.
      const limit = pLimit(this.concurrency);
      const nexts = await Promise.all(
        Array.from({ length: totalPages - 1 }, (_, i) =>
          limit(async () => keep(i + 2, (await this.listPage(i + 2, signal)).data)),
        ),
      );
      nexts.forEach((n, i) => {
        if (n === null && i < nexts.length - 1)
          throw refuse(`page ${i + 2} was the last, but page 1 reported ${totalPages} pages`);
      });
      page = totalPages;
      // The listing grew while it was read: the last page points further. Follow it.
      next = nexts.at(-1) ?? null;
    }
    while (next !== null) {
      if (next > MAX_PAGES) throw refuse(`runs past ${MAX_PAGES} pages`);
      page = next;
      next = keep(page, (await this.listPage(page, signal)).data);
    }
    if (totalPages !== null && page < totalPages)
      throw refuse(`ended at page ${page}, but page 1 reported ${totalPages} pages`);
    return users;
  }

  /** One page of users.list: proves the token reaches DX and holds users:read. */
  async probeRead(): Promise<number | null> {
    return (await this.listPage(1)).data.total ?? null;
  }

  /**
   * Proves users:write without changing anything: an empty attribute list for an address
   * that cannot exist. With the scope, DX refuses the unknown user (a 4xx we need not
   * understand) or accepts a no-op; without it, 401/403.
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
      if (error instanceof CoderDxError && error.code === "dx_rejected") return;
      throw error;
    }
  }

  /** Lower-cased names of the attribute groups DX has. */
  async listAttributeGroups({ signal }: CallOptions = {}): Promise<Set<string>> {
    const { data } = await this.http.request({
      method: "GET",
      path: "/attributeGroups.list",
      schema: DxAttributeGroups,
      signal,
    });
    return new Set(data.attribute_groups.map((group) => group.name.toLowerCase()));
  }

  /**
   * Sets the named groups (null removes) and returns DX's answer: all of the user's
   * attributes and any failures. What it proves is `judgeAttributeWrite`'s business.
   */
  async updateAttributes(
    email: string,
    attributes: Record<string, string | null>,
    options: CallOptions = {},
  ): Promise<DxWriteAnswer<DxAttributesAnswer>> {
    const { data, attempts } = await this.http.request({
      method: "POST",
      path: "/users.attributes.update",
      body: {
        email,
        attributes: Object.entries(attributes).map(([name, value]) => ({ name, value })),
      },
      schema: DxAttributesUpdateResponse,
      signal: options.signal,
      beforeSend: options.beforeSend,
    });
    return { attempts, answer: data.user };
  }

  async updateProperties(
    email: string,
    properties: Record<string, string | null>,
    options: CallOptions = {},
  ): Promise<DxWriteAnswer<DxPropertiesAnswer>> {
    const { data, attempts } = await this.http.request({
      method: "POST",
      path: "/users.update",
      body: { email, ...properties },
      schema: DxUserUpdateResponse,
      signal: options.signal,
      beforeSend: options.beforeSend,
    });
    return { attempts, answer: data.user };
  }
}
