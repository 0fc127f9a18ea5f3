import { Hono } from "hono";
import { jsonBody } from "./body";
import { FaultSwitch } from "./faults";
import { type Listening, listen } from "./listen";

export interface SimDxUser {
  id: string;
  email: string;
  name: string;
  /** By lower-cased group name: the group's spelling in DX and the value. */
  attributes: Map<string, { group: string; value: string }>;
  properties: Record<string, string | boolean | null>;
  /** Real DX leaves users with no role, property, team or group out of users.list. */
  hidden: boolean;
  deletedAt: string | null;
}

export interface DxWrite {
  method: "users.attributes.update" | "users.update";
  email: string;
  body: Record<string, unknown>;
  at: number;
}

/** An event PlatformX took (`events.track`), as sent. */
export interface DxEvent {
  name: string;
  email: string | null;
  timestamp: string;
  metadata: Record<string, unknown> | null;
  at: number;
}

export interface DxSimulatorOptions {
  token?: string;
  /** The PlatformX project token `events.track` takes (not the organisation token). */
  projectToken?: string;
  /** Announced as `Keep-Alive: timeout=N` (Node's default 5 s; load balancers often 1 s). */
  keepAliveTimeoutMs?: number;
  port?: number;
}

const PROPERTIES = new Set([
  "start_date",
  "github_username",
  "additional_github_username",
  "gitlab_username",
  "ai_light_adoption_date",
  "ai_moderate_adoption_date",
  "ai_heavy_adoption_date",
  "sso_email",
  "protected",
  "exclude_from_snapshots",
]);

/**
 * DX's Web API on loopback: users.list, users.attributes.update, users.update and
 * attributeGroups.list. Every behaviour here is a claim about the real service and says where
 * it comes from: seeds/002 and seeds/003 (DX's own method pages) and reference/dx/API.md.
 * Where DX's behaviour is not documented, the comment says it is a guess, and coder-dx must
 * not depend on the guess (tests vary it with faults).
 */
export class DxSimulator {
  readonly users = new Map<string, SimDxUser>();
  /** By lower-cased name: the spelling DX keeps. */
  readonly groups = new Map<string, string>();
  readonly writes: DxWrite[] = [];
  readonly faults = new FaultSwitch();
  /** Every request, `METHOD /path`, in arrival order, with its arrival time (ms, monotonic). */
  readonly requests: { key: string; at: number }[] = [];
  /**
   * Lower-cased names of privileged groups: attributeGroups.list shows them only to a PAT whose
   * user may view privileged attributes, never to the organisation token coder-dx uses
   * (reference/dx/API.md §5.5); users.list still shows the values on the people who hold them.
   */
  readonly privilegedGroups = new Set<string>();
  /** Emails whose attribute writes come back 200 with a `failures` entry per sent group. */
  readonly failingEmails = new Set<string>();
  /**
   * The answer to a write for an email DX does not know. Undocumented (reference/dx/API.md §8,
   * "OPEN"): this guess borrows DX's CLI fixtures' `not_found`. coder-dx decides "unknown user"
   * from the read-back, never from this answer.
   */
  unknownUserAnswer: { status: 400 | 404 | 422; error: string } = {
    status: 404,
    error: "not_found",
  };
  token: string;
  /** `events.track`'s token: a PlatformX project's, never the organisation token. */
  projectToken: string;
  /** The events PlatformX took, in arrival order. */
  readonly events: DxEvent[] = [];
  private nextId = 1;
  private listening: Listening | null = null;
  /** The users users.list shows, rebuilt only after a change. */
  private listed: SimDxUser[] | null = null;

  private constructor(options: DxSimulatorOptions) {
    this.token = options.token ?? "dx-sim-token-0123456789abcdef";
    this.projectToken = options.projectToken ?? "dx-sim-platformx-project-token-0123456789";
  }

  static async start(options: DxSimulatorOptions = {}): Promise<DxSimulator> {
    const sim = new DxSimulator(options);
    sim.listening = await listen(sim.app(), {
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.keepAliveTimeoutMs === undefined
        ? {}
        : { keepAliveTimeoutMs: options.keepAliveTimeoutMs }),
    });
    return sim;
  }

  get url(): string {
    if (!this.listening) throw new Error("simulator not started");
    return this.listening.url;
  }

  /** TCP connections accepted so far. */
  get connections(): number {
    return this.listening?.connections() ?? 0;
  }

  async close(): Promise<void> {
    await this.listening?.close();
  }

  addUser(input: {
    email: string;
    name?: string;
    attributes?: Record<string, string>;
    hidden?: boolean;
  }): SimDxUser {
    const user: SimDxUser = {
      id: Buffer.from(String(100_000 + this.nextId++)).toString("base64url"),
      email: input.email,
      name: input.name ?? input.email.split("@")[0] ?? "",
      attributes: new Map(),
      properties: {},
      hidden: input.hidden ?? false,
      deletedAt: null,
    };
    for (const [group, value] of Object.entries(input.attributes ?? {}))
      this.setAttribute(user, group, value);
    this.users.set(input.email.toLowerCase(), user);
    this.listed = null;
    return user;
  }

  /** A user's attributes as `{group: value}`, in DX's spelling of each group. */
  attributesOf(email: string): Record<string, string> {
    const user = this.users.get(email.toLowerCase());
    if (!user) throw new Error(`no simulated DX user ${email}`);
    return Object.fromEntries(
      [...user.attributes.values()].map(({ group, value }) => [group, value]),
    );
  }

  /**
   * Changes an attribute behind coder-dx's back (a manual edit in DX). Group names match
   * case-insensitively and an unknown name creates the group in the spelling first used
   * (seeds/002; reference/dx/API.md §5.2).
   */
  setAttribute(user: SimDxUser, group: string, value: string | null): void {
    const key = group.toLowerCase();
    if (!this.groups.has(key)) this.groups.set(key, group);
    const spelling = this.groups.get(key) as string;
    if (value === null) user.attributes.delete(key);
    else user.attributes.set(key, { group: spelling, value });
  }

  writesTo(email: string): DxWrite[] {
    return this.writes.filter((w) => w.email.toLowerCase() === email.toLowerCase());
  }

  private app(): Hono {
    const app = new Hono();
    app.use("*", async (c, next) => {
      this.requests.push({ key: `${c.req.method} ${c.req.path}`, at: performance.now() });
      // Read as it arrives: a write whose client has gone by the time it is handled still
      // counts, as at any HTTP server that received the whole request (DX documents nothing
      // either way; the reading that never hides a write DX may have applied).
      if (c.req.method === "POST") void jsonBody(c);
      await next();
    });
    app.use("*", async (c, next) => {
      const header = c.req.header("authorization");
      if (!header) return c.json({ ok: false, error: "not_authed" }, 401);
      // events.track takes a PlatformX project token and nothing else (reference/dx/API.md §5.7:
      // "It is not an organization token"); the other methods take the organisation token.
      // Which answer the wrong kind gets is undocumented: `invalid_auth` is the guess.
      const expected = c.req.path === "/events.track" ? this.projectToken : this.token;
      if (header !== `Bearer ${expected}`) return c.json({ ok: false, error: "invalid_auth" }, 401);
      return next();
    });
    app.use(
      "*",
      this.faults.middleware(async (c) => {
        if (c.req.method !== "POST") return null;
        try {
          const body = (await jsonBody(c)) as { email?: unknown } | null;
          return typeof body?.email === "string" ? body.email.toLowerCase() : null;
        } catch {
          return null;
        }
      }),
    );

    app.get("/users.list", (c) => {
      const page = Number(c.req.query("page") ?? 1);
      const pageSize = Number(c.req.query("page_size") ?? 100);
      if (
        !Number.isInteger(page) ||
        page < 1 ||
        !Number.isInteger(pageSize) ||
        pageSize < 1 ||
        pageSize > 100
      ) {
        return c.json(
          {
            ok: false,
            error: "invalid_payload",
            error_details: { message: "page must be ≥ 1 and page_size 1..100" },
          },
          422,
        );
      }
      this.listed ??= [...this.users.values()].filter((u) => !u.hidden);
      const listed = this.listed;
      const totalPages = Math.max(1, Math.ceil(listed.length / pageSize));
      const slice = listed.slice((page - 1) * pageSize, page * pageSize);
      return c.json({
        ok: true,
        users: slice.map((u) => ({
          id: u.id,
          name: u.name,
          email: u.email,
          github_username: (u.properties.github_username as string | undefined) ?? null,
          gitlab_username: (u.properties.gitlab_username as string | undefined) ?? null,
          attributes: [...u.attributes.values()].map(({ group, value }) => ({
            name: group,
            value,
          })),
          deleted_at: u.deletedAt,
          roles: [],
        })),
        next_page: page < totalPages ? page + 1 : null,
        total: listed.length,
        total_pages: totalPages,
      });
    });

    app.get("/attributeGroups.list", (c) =>
      c.json({
        ok: true,
        attribute_groups: [...this.groups.values()]
          .filter((name) => !this.privilegedGroups.has(name.toLowerCase()))
          .map((name, i) => ({
            id: Buffer.from(String(100 + i)).toString("base64url"),
            name,
            type: "admin_managed",
            hidden: false,
            position: i + 1,
            privileged: false,
            attributes: [],
          })),
      }),
    );

    app.post("/users.attributes.update", async (c) => {
      const body = (await jsonBody(c)) as Record<string, any> | null;
      const valid =
        body &&
        typeof body.email === "string" &&
        Array.isArray(body.attributes) &&
        body.attributes.every((a: unknown) => {
          const attr = a as { name?: unknown; value?: unknown };
          return (
            typeof attr.name === "string" &&
            attr.name.trim() !== "" &&
            (typeof attr.value === "string" || attr.value === null)
          );
        });
      if (!valid) {
        return c.json(
          {
            ok: false,
            error: "invalid_payload",
            error_details: { message: "email and attributes[{name, value}] are required" },
          },
          422,
        );
      }
      const user = this.users.get(body.email.toLowerCase());
      if (!user || user.deletedAt)
        return c.json(
          { ok: false, error: this.unknownUserAnswer.error },
          this.unknownUserAnswer.status,
        );
      this.writes.push({
        method: "users.attributes.update",
        email: user.email,
        body,
        at: performance.now(),
      });
      const sent = body.attributes as { name: string; value: string | null }[];
      // The shape of a failure entry is undocumented (reference/dx/API.md §8): a guess.
      const failures = this.failingEmails.has(user.email.toLowerCase())
        ? sent.map((a) => ({ name: a.name, error: "attribute_locked" }))
        : [];
      const changed = new Set<string>();
      if (failures.length === 0) {
        for (const { name, value } of sent) {
          // "Setting a group replaces the user's existing value(s) in that group" (seeds/002).
          const before = user.attributes.get(name.toLowerCase())?.value ?? null;
          if (before !== value) changed.add(name.toLowerCase());
          this.setAttribute(user, name, value);
        }
      }
      // seeds/002: "the response will contain all of the attributes that are assigned to the
      // user, with an updated value of true on the ones that were updated" — groups this request
      // did not name included, each in the spelling DX keeps for the group.
      return c.json({
        ok: true,
        user: {
          id: user.id,
          email: user.email,
          failures,
          attributes: [...user.attributes.entries()].map(([key, { group, value }]) => ({
            name: group,
            value,
            updated: changed.has(key),
          })),
        },
      });
    });

    app.post("/users.update", async (c) => {
      const body = (await jsonBody(c)) as Record<string, any> | null;
      if (!body || typeof body.email !== "string") {
        return c.json(
          { ok: false, error: "invalid_payload", error_details: { message: "email is required" } },
          422,
        );
      }
      const unknown = Object.keys(body).filter((k) => k !== "email" && !PROPERTIES.has(k));
      if (unknown.length > 0) {
        return c.json(
          {
            ok: false,
            error: "invalid_payload",
            error_details: { message: `unknown field(s): ${unknown.join(", ")}` },
          },
          422,
        );
      }
      const user = this.users.get(body.email.toLowerCase());
      if (!user || user.deletedAt)
        return c.json(
          { ok: false, error: this.unknownUserAnswer.error },
          this.unknownUserAnswer.status,
        );
      this.writes.push({ method: "users.update", email: user.email, body, at: performance.now() });
      for (const [key, value] of Object.entries(body)) {
        if (key === "email") continue;
        if (value === null) delete user.properties[key];
        else user.properties[key] = value as string | boolean;
      }
      if (Object.keys(user.properties).length > 0 && user.hidden) {
        user.hidden = false;
        this.listed = null;
      }
      // The older users.update page's example, verbatim in shape: `"ok":"true"` as a string and
      // the user with its properties (reference/dx/API.md §5.1).
      return c.json({ ok: "true", user: { email: user.email, ...user.properties } });
    });

    // events.track (reference/dx/API.md §5.7): name, a Unix-seconds timestamp *string*, one of
    // email / github_username / gitlab_username, metadata at most 1 KB; `{ok:true}` on success.
    // The error codes are DX's CLI fixtures' for a 422 (`invalid_payload`): DX documents only
    // that `ok` is false with a code. A 429 (the account's 1,000/minute) comes from faults.
    app.post("/events.track", async (c) => {
      const body = (await jsonBody(c)) as Record<string, unknown> | null;
      const problem = (message: string) =>
        c.json({ ok: false, error: "invalid_payload", error_details: { message } }, 422);
      if (!body) return problem("the body must be a JSON object");
      if (typeof body.name !== "string" || body.name.trim() === "")
        return problem("name is required");
      if (typeof body.timestamp !== "string" || !/^\d+$/.test(body.timestamp))
        return problem("timestamp must be a string of Unix seconds");
      const who = ["email", "github_username", "gitlab_username"].filter(
        (key) => typeof body[key] === "string" && (body[key] as string) !== "",
      );
      if (who.length === 0)
        return problem("one of email, github_username, gitlab_username is required");
      const metadata = body.metadata ?? null;
      if (metadata !== null && (typeof metadata !== "object" || Array.isArray(metadata)))
        return problem("metadata must be a JSON object");
      if (metadata !== null && Buffer.byteLength(JSON.stringify(metadata)) > 1024)
        return problem("metadata must be at most 1 KB");
      this.events.push({
        name: body.name,
        email: typeof body.email === "string" ? body.email : null,
        timestamp: body.timestamp,
        metadata: metadata as Record<string, unknown> | null,
        at: performance.now(),
      });
      return c.json({ ok: true });
    });

    // Unknown methods: undocumented; a guess in DX's envelope (Slack-style `unknown_method`).
    app.notFound((c) => c.json({ ok: false, error: "unknown_method" }, 404));
    return app;
  }
}
