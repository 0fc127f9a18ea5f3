import { randomUUID } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { Hono } from "hono";
import {
  type Occurrence,
  type PayloadVersion,
  type SimNotificationUser,
  type SimWorkspace,
  userOccurrence,
  webhookBody,
  workspaceOccurrence,
} from "./coder-notifications";
import { FaultSwitch } from "./faults";
import { type Listening, listen } from "./listen";

export type SimUserStatus = "active" | "dormant" | "suspended";

/** A Coder user as the simulator stores it; serialised the way coderd does (omitempty fields). */
export interface SimCoderUser {
  id: string;
  username: string;
  name: string;
  email: string;
  status: SimUserStatus;
  login_type: "password" | "github" | "oidc" | "token" | "none" | "";
  is_service_account: boolean;
  organization_ids: string[];
  roles: { name: string; display_name: string }[];
  created_at: string;
  last_seen_at: string;
  /**
   * Active seconds in the 28 whole UTC days before today. Coder sums 30-minute buckets that
   * lie wholly inside the window asked for (reference/coder/API.md §3.1; coderd's
   * GetUserActivityInsights), so a one-day window gives that day's use. When people work is
   * the simulator's own model, claiming nothing about Coder: without `activity`, the seconds
   * are spread over min(28, ⌈hours⌉) days evenly across those 28.
   */
  usageSeconds: number;
  /** Exact seconds per UTC day (`2026-11-20`), for tests that need particular days. */
  activity?: Record<string, number>;
  /**
   * How the person's seconds divide between templates (template id → share, summing to 1 or
   * less). Absent: all in the default template. The simulator's own model.
   */
  templateShares?: Record<string, number>;
  /** An AI governance seat (`has_ai_seat`, v2.32+). */
  has_ai_seat?: boolean;
}

/** A template (`codersdk.Template`), as far as `GET /api/v2/templates` shows it. */
export interface SimCoderTemplate {
  id: string;
  name: string;
  display_name: string;
  organization_id: string;
}

/** A group (`codersdk.Group`, Premium): its members by user id. */
export interface SimGroup {
  id: string;
  name: string;
  display_name: string;
  organization_id: string;
  members: string[];
}

/** The template every workspace uses unless told otherwise. */
export const DEFAULT_TEMPLATE_ID = "0d286645-29aa-4eaf-9b52-cc5d2740c90b";

const DAY_MS = 86_400_000;
/** Large answers are built this many users at a time, letting other requests through between. */
const YIELD_EVERY = 1000;

/** A user's activity as [UTC day start ms, seconds] pairs, as the simulator models it. */
function activityDays(user: SimCoderUser, now: Date): [number, number][] {
  if (user.activity)
    return Object.entries(user.activity).map(([day, seconds]) => [
      Date.parse(`${day}T00:00:00Z`),
      seconds,
    ]);
  const minutes = Math.floor(user.usageSeconds / 60);
  if (minutes <= 0) return [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const count = Math.min(28, Math.ceil(minutes / 60));
  const base = Math.floor(minutes / count);
  const extra = minutes - base * count;
  const days: [number, number][] = [];
  for (let j = 0; j < count; j++) {
    // Day 0 is 28 days before today; active days are spaced across the window.
    days.push([
      today - (28 - Math.floor((j * 28) / count)) * DAY_MS,
      (base + (j < extra ? 1 : 0)) * 60,
    ]);
  }
  return days;
}

/** Seconds per UTC day ("YYYY-MM-DD") of a user's activity, as the simulator models it. */
export function activityByDay(user: SimCoderUser, now: Date): Map<string, number> {
  return new Map(
    activityDays(user, now).map(([at, seconds]) => [
      new Date(at).toISOString().slice(0, 10),
      seconds,
    ]),
  );
}

/** Each user's days, cached per simulated day: computing them for 100,000 people is not free. */
const dayCache = new WeakMap<SimCoderUser, { today: number; days: [number, number][] }>();

/** A user's seconds in [start, end), counting whole UTC days that start inside it. */
function secondsBetween(user: SimCoderUser, start: Date, end: Date, now: Date): number {
  const today = Math.floor(now.getTime() / DAY_MS);
  let cached = dayCache.get(user);
  if (!cached || cached.today !== today) {
    cached = { today, days: activityDays(user, now) };
    dayCache.set(user, cached);
  }
  let total = 0;
  for (const [at, seconds] of cached.days) {
    if (at >= start.getTime() && at < end.getTime()) total += seconds;
  }
  return total;
}

export interface CoderSimulatorOptions {
  token?: string;
  /** Announced as `Keep-Alive: timeout=N` (Node's default 5 s; load balancers often 1 s). */
  keepAliveTimeoutMs?: number;
  /** The simulated wall clock, for the insights window rules. */
  now?: () => Date;
  port?: number;
}

export const DEFAULT_ORG_ID = "7c60d51f-b44e-4682-87d6-449835ea4de6";

/** One webhook message: an occurrence addressed to one recipient, and how its delivery went. */
export interface SimMessage {
  msgId: string;
  recipientId: string;
  template: string;
  body: ReturnType<typeof webhookBody>;
  attempts: number;
  /** The last answer's status, "network" for a failed connection, null before the first try. */
  lastStatus: number | "network" | null;
  delivered: boolean;
}

/**
 * The webhook dispatcher's settings (codersdk/deployment.go: CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT,
 * CODER_NOTIFICATIONS_MAX_SEND_ATTEMPTS default 5, CODER_NOTIFICATIONS_RETRY_INTERVAL default 5m).
 * No endpoint: messages are kept (`messages`) but sent nowhere.
 */
export interface SimNotificationSettings {
  endpoint: string | null;
  maxAttempts: number;
  retryIntervalMs: number;
  /** The payload version this Coder sends: 1.0 (labels only), 1.1 (+ data), 1.2 (+ targets). */
  payloadVersion: PayloadVersion;
  /**
   * Sends in flight at once. Coder's dispatcher works through its queue with a bounded number of
   * workers (a burst of a thousand events is not a thousand connections at once); the number is
   * the simulator's own, claiming nothing exact about Coder's.
   */
  concurrency: number;
}
const SIGNED_OUT =
  "You are signed out or your session has expired. Please sign in again to continue.";

const byUsername = (a: SimCoderUser, b: SimCoderUser) => {
  const x = a.username.toLowerCase();
  const y = b.username.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

function toWire(user: SimCoderUser, aiSeats = true) {
  return {
    id: user.id,
    username: user.username,
    ...(user.name ? { name: user.name } : {}),
    email: user.email,
    created_at: user.created_at,
    updated_at: user.created_at,
    last_seen_at: user.last_seen_at,
    status: user.status,
    login_type: user.login_type,
    ...(user.is_service_account ? { is_service_account: true } : {}),
    organization_ids: user.organization_ids,
    roles: user.roles,
    // v2.32 added the field; an older Coder sends none.
    ...(aiSeats ? { has_ai_seat: user.has_ai_seat ?? false } : {}),
  };
}

function invalidParams(message: string, field: string, detail: string) {
  return { message, validations: [{ field, detail }] };
}

const INT32 = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function offsetMinutes(value: string): number {
  if (value.endsWith("Z")) return 0;
  const sign = value.at(-6) === "-" ? -1 : 1;
  return sign * (Number(value.slice(-5, -3)) * 60 + Number(value.slice(-2)));
}

/** Checks an insights time the way coderd's parseInsightsStartAndEndTime does. */
function checkInsightsTime(
  name: string,
  value: string | undefined,
  now: Date,
): { time?: Date; detail?: string } {
  if (!value || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    return {
      detail: `Query param "${name}" must be a valid date format (2006-01-02T15:04:05Z07:00): parsing time "${value ?? ""}"`,
    };
  }
  const time = new Date(value);
  const offset = offsetMinutes(value);
  const local = new Date(time.getTime() + offset * 60_000);
  const clock = value.slice(11, 19);
  if (time.getTime() > now.getTime() + 3_600_000)
    return { detail: `Query param "${name}" must not be in the future` };
  const sameDay =
    local.toISOString().slice(0, 10) ===
    new Date(now.getTime() + offset * 60_000).toISOString().slice(0, 10);
  if (name === "start_time" || !sameDay) {
    if (clock !== "00:00:00")
      return { detail: `Query param "${name}" must have the clock set to 00:00:00, got ${value}` };
  } else if (!clock.endsWith(":00:00")) {
    return {
      detail: `Query param "${name}" must have the clock set to ${clock.slice(0, 2)}:00:00, got ${value}`,
    };
  }
  return { time };
}

/**
 * A Coder deployment on loopback: users, `/users/me`, usage insights and buildinfo,
 * with Coder's paging, ordering, auth and error bodies.
 */
export class CoderSimulator {
  readonly users = new Map<string, SimCoderUser>();
  readonly faults = new FaultSwitch();
  readonly requests: string[] = [];
  /** The windows asked of insights/user-activity, as sent. */
  readonly insightsWindows: { start: string; end: string }[] = [];
  token: string;
  tokenOwnerId: string;
  /** The token owner's site role: readers need owner, auditor or template-admin for insights. */
  ownerRole = "owner";
  /** Webhook notifications (Live): where they go, and every message sent. */
  readonly notifications: SimNotificationSettings = {
    endpoint: null,
    maxAttempts: 5,
    retryIntervalMs: 300_000,
    payloadVersion: "1.2",
    concurrency: 16,
  };
  /** Messages waiting for a free sender. */
  private readonly queued: SimMessage[] = [];
  readonly messages: SimMessage[] = [];
  readonly workspaces = new Map<string, SimWorkspace>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private listening: Listening | null = null;
  private readonly now: () => Date;
  /** Templates by id (`GET /api/v2/templates`); one, "docker", to start with. */
  readonly templates = new Map<string, SimCoderTemplate>();
  /** Groups by id (`GET /api/v2/groups`); the built-in Everyone group is computed. */
  readonly groups = new Map<string, SimGroup>();
  /**
   * Whether the licence covers groups (Template RBAC): `premium`; without it, newer servers
   * answer 403 and older ones and open-source builds 404 (enterprise/coderd RequireFeatureMW,
   * templateRBACEnabledMW).
   */
  groupsLicence: "premium" | "forbidden" | "absent" = "premium";
  private aiSeats = true;
  /** Coder before v2.32 reports no `has_ai_seat`. */
  get reportsAiSeats(): boolean {
    return this.aiSeats;
  }
  set reportsAiSeats(value: boolean) {
    this.aiSeats = value;
    for (const user of this.users.values()) this.wire.delete(user);
  }
  /** Users in Coder's order, rebuilt only after a change: 100,000-user listings stay cheap. */
  private sorted: SimCoderUser[] | null = null;
  private byIdOrder: SimCoderUser[] | null = null;

  private constructor(options: CoderSimulatorOptions) {
    this.token = options.token ?? "AbCdEf1234-sim0coder0token0secret0";
    this.now = options.now ?? (() => new Date());
    const owner = this.addUser({
      username: "coder-dx-bot",
      email: "coder-dx-bot@example.com",
      status: "active",
      login_type: "password",
      roles: [{ name: "owner", display_name: "Owner" }],
    });
    this.tokenOwnerId = owner.id;
    this.addTemplate({ id: DEFAULT_TEMPLATE_ID, name: "docker", display_name: "" });
  }

  /** A template; its display name may be empty (the name is shown then). */
  addTemplate(input: Partial<SimCoderTemplate> & { name: string }): SimCoderTemplate {
    const template: SimCoderTemplate = {
      id: randomUUID(),
      display_name: "",
      organization_id: DEFAULT_ORG_ID,
      ...input,
    };
    this.templates.set(template.id, template);
    return template;
  }

  /** A group with these members (user ids). */
  addGroup(input: Partial<SimGroup> & { name: string }): SimGroup {
    const group: SimGroup = {
      id: randomUUID(),
      display_name: "",
      organization_id: DEFAULT_ORG_ID,
      members: [],
      ...input,
    };
    this.groups.set(group.id, group);
    return group;
  }

  static async start(options: CoderSimulatorOptions = {}): Promise<CoderSimulator> {
    const sim = new CoderSimulator(options);
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
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    await this.listening?.close();
  }

  // --- Changes that notify, as coderd's handlers do -------------------------------------

  private asRecipient(user: SimCoderUser): SimNotificationUser {
    return { id: user.id, username: user.username, name: user.name, email: user.email };
  }

  /** Every active owner and user-admin: who gets the admins' copy of a user event. */
  private userAdmins(): SimCoderUser[] {
    return [...this.users.values()].filter(
      (u) =>
        u.status === "active" && u.roles.some((r) => r.name === "owner" || r.name === "user-admin"),
    );
  }

  /** Owners and template admins (coderd's findTemplateAdmins), but the initiator. */
  private templateAdmins(initiatorId: string | null): SimCoderUser[] {
    return [...this.users.values()].filter(
      (u) =>
        u.id !== initiatorId &&
        u.status === "active" &&
        u.roles.some((r) => r.name === "owner" || r.name === "template-admin"),
    );
  }

  /** A user created (POST /api/v2/users): the admins are told. SCIM's create tells no one. */
  createUser(
    input: Partial<SimCoderUser> & { username: string },
    initiator = "admin",
  ): SimCoderUser {
    // Coder stamps created_at when it creates the account (coderd/users.go: dbtime.Now()).
    const user = this.addUser({ created_at: this.now().toISOString(), ...input });
    this.notify(
      userOccurrence("User account created", this.asRecipient(user), initiator, this.dashboardUrl),
      this.userAdmins(),
    );
    return user;
  }

  /** PUT /users/{user}/status/suspend: the admins' copies and the person's own. */
  suspendUser(id: string, initiator = "admin"): SimCoderUser {
    const user = this.updateUser(id, { status: "suspended" });
    const subject = this.asRecipient(user);
    this.notify(
      userOccurrence("User account suspended", subject, initiator, this.dashboardUrl),
      this.userAdmins(),
    );
    this.notify(
      userOccurrence("Your account has been suspended", subject, initiator, this.dashboardUrl),
      [user],
    );
    return user;
  }

  /** PUT /users/{user}/status/activate: the admins' copies and the person's own. */
  activateUser(id: string, initiator = "admin"): SimCoderUser {
    const user = this.updateUser(id, { status: "active" });
    const subject = this.asRecipient(user);
    this.notify(
      userOccurrence("User account activated", subject, initiator, this.dashboardUrl),
      this.userAdmins(),
    );
    this.notify(
      userOccurrence("Your account has been activated", subject, initiator, this.dashboardUrl),
      [user],
    );
    return user;
  }

  /** DELETE /users/{user}: the admins are told the username and the id, nothing more. */
  deleteUser(id: string, initiator = "admin"): void {
    const user = this.users.get(id);
    if (!user) throw new Error(`no simulated Coder user ${id}`);
    this.removeUser(id);
    this.notify(
      userOccurrence("User account deleted", this.asRecipient(user), initiator, this.dashboardUrl),
      this.userAdmins(),
    );
  }

  /** A workspace created for `ownerId` by `initiatorId` (by default the owner themself). */
  createWorkspace(
    ownerId: string,
    input: Partial<Omit<SimWorkspace, "ownerId">> & { name: string },
    initiatorId: string = ownerId,
  ): SimWorkspace {
    const owner = this.users.get(ownerId);
    if (!owner) throw new Error(`no simulated Coder user ${ownerId}`);
    const workspace: SimWorkspace = {
      id: randomUUID(),
      ownerId,
      templateId: "0d286645-29aa-4eaf-9b52-cc5d2740c90b",
      templateName: "docker",
      templateVersionId: randomUUID(),
      templateVersionName: "v1",
      organizationId: DEFAULT_ORG_ID,
      created_at: this.now().toISOString(),
      ...input,
    };
    this.workspaces.set(workspace.id, workspace);
    const initiator = this.users.get(initiatorId)?.username ?? "admin";
    this.notify(
      workspaceOccurrence(
        "Workspace Created",
        workspace,
        this.asRecipient(owner),
        initiator,
        this.dashboardUrl,
      ),
      this.templateAdmins(initiatorId),
    );
    return workspace;
  }

  /** A workspace moved to another template version by hand (only then is it notified). */
  updateWorkspace(
    id: string,
    version: { id: string; name: string },
    initiatorId?: string,
  ): SimWorkspace {
    const workspace = this.workspaces.get(id);
    if (!workspace) throw new Error(`no simulated workspace ${id}`);
    const owner = this.users.get(workspace.ownerId) as SimCoderUser;
    if (workspace.templateVersionId === version.id) return workspace;
    Object.assign(workspace, { templateVersionId: version.id, templateVersionName: version.name });
    const by = initiatorId ?? workspace.ownerId;
    this.notify(
      workspaceOccurrence(
        "Workspace Manually Updated",
        workspace,
        this.asRecipient(owner),
        this.users.get(by)?.username ?? "admin",
        this.dashboardUrl,
      ),
      this.templateAdmins(by),
    );
    return workspace;
  }

  private get dashboardUrl(): string {
    return this.listening?.url ?? "http://coder.example.com";
  }

  /** One message per recipient (coderd/notifications/enqueuer.go), each sent on its own. */
  private notify(occurrence: Occurrence, recipients: SimCoderUser[]): void {
    for (const recipient of recipients) {
      const message: SimMessage = {
        msgId: randomUUID(),
        recipientId: recipient.id,
        template: occurrence.template,
        body: webhookBody(
          occurrence,
          this.asRecipient(recipient),
          this.notifications.payloadVersion,
        ),
        attempts: 0,
        lastStatus: null,
        delivered: false,
      };
      message.body.msg_id = message.msgId;
      this.messages.push(message);
      this.send(message);
    }
  }

  /**
   * POSTs a message to the endpoint (dispatch/webhook.go: JSON, `X-Message-Id`, no signature,
   * no custom header). Any non-2xx answer or transport error is retried with the same msg_id,
   * `retryIntervalMs` apart, up to `maxAttempts` in all.
   */
  private send(message: SimMessage): void {
    const endpoint = this.notifications.endpoint;
    if (!endpoint || message.delivered || message.attempts >= this.notifications.maxAttempts)
      return;
    if (this.deliveries.size >= this.notifications.concurrency) {
      this.queued.push(message);
      return;
    }
    message.attempts += 1;
    const delivery = (async () => {
      try {
        const response = await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", "x-message-id": message.msgId },
          body: JSON.stringify(message.body),
        });
        await response.arrayBuffer();
        message.lastStatus = response.status;
        message.delivered = response.status >= 200 && response.status < 300;
      } catch {
        message.lastStatus = "network";
      }
      if (!message.delivered && message.attempts < this.notifications.maxAttempts) {
        const timer = setTimeout(() => {
          this.retries.delete(timer);
          this.send(message);
        }, this.notifications.retryIntervalMs);
        this.retries.add(timer);
      }
    })();
    this.deliveries.add(delivery);
    void delivery.finally(() => {
      this.deliveries.delete(delivery);
      const next = this.queued.shift();
      if (next) this.send(next);
    });
  }

  /** Resolves once every send in flight now has been answered (retries are later sends). */
  async notificationsSent(): Promise<void> {
    while (this.deliveries.size > 0 || this.queued.length > 0)
      await Promise.all([...this.deliveries]);
  }

  addUser(input: Partial<SimCoderUser> & { username: string }): SimCoderUser {
    const user: SimCoderUser = {
      id: randomUUID(),
      name: "",
      email: `${input.username}@example.com`,
      status: "active",
      login_type: "oidc",
      is_service_account: false,
      organization_ids: [DEFAULT_ORG_ID],
      roles: [],
      created_at: "2025-01-15T09:00:00.123456Z",
      last_seen_at: "2026-11-01T12:00:00.000001Z",
      usageSeconds: 0,
      ...input,
    };
    this.users.set(user.id, user);
    this.sorted = null;
    this.byIdOrder = null;
    return user;
  }

  updateUser(id: string, patch: Partial<Omit<SimCoderUser, "id">>): SimCoderUser {
    const user = this.users.get(id);
    if (!user) throw new Error(`no simulated Coder user ${id}`);
    Object.assign(user, patch);
    this.wire.delete(user);
    dayCache.delete(user);
    this.sorted = null;
    this.byIdOrder = null;
    return user;
  }

  findUser(username: string): SimCoderUser {
    const user = [...this.users.values()].find((u) => u.username === username);
    if (!user) throw new Error(`no simulated Coder user ${username}`);
    return user;
  }

  removeUser(id: string): void {
    this.users.delete(id);
    this.sorted = null;
    this.byIdOrder = null;
  }

  private readonly wire = new WeakMap<SimCoderUser, string>();

  /**
   * Builds what a long-running coderd has at hand: each user's wire form, the two orders it
   * lists in, today's activity. A benchmark then times the client against warm answers, not
   * the simulator's first pass over 100,000 users (work a real Coder does on its own machine).
   */
  prime(): void {
    const now = this.now();
    for (const user of this.inOrder()) {
      this.wireJson(user);
      secondsBetween(user, now, now, now);
    }
    this.inIdOrder();
  }

  /** The user as coderd serialises it, cached until the user changes. */
  private wireJson(user: SimCoderUser): string {
    let json = this.wire.get(user);
    if (json === undefined) {
      json = JSON.stringify(toWire(user, this.reportsAiSeats));
      this.wire.set(user, json);
    }
    return json;
  }

  private inOrder(): SimCoderUser[] {
    this.sorted ??= [...this.users.values()].sort(byUsername);
    return this.sorted;
  }

  /** Users by id, the order coderd's insights query returns them in. */
  private inIdOrder(): SimCoderUser[] {
    this.byIdOrder ??= [...this.users.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    return this.byIdOrder;
  }

  private app(): Hono {
    const app = new Hono();
    app.use("*", async (c, next) => {
      this.requests.push(`${c.req.method} ${c.req.path}`);
      c.header("X-Coder-Build-Version", "v2.34.3");
      await next();
    });
    app.use(
      "*",
      this.faults.middleware(async () => null),
    );
    // GET /api/v2/templates (swagger "Get all templates": []codersdk.Template), those the
    // token can read; deleted templates are not listed.
    app.get("/api/v2/templates", (c) =>
      c.json(
        [...this.templates.values()].map((t) => ({
          id: t.id,
          name: t.name,
          display_name: t.display_name,
          organization_id: t.organization_id,
          organization_name: "coder",
          created_at: "2025-01-15T09:00:00.123456Z",
          updated_at: "2025-01-15T09:00:00.123456Z",
          active_user_count: 0,
          deprecated: false,
          deleted: false,
          provisioner: "terraform",
        })),
      ),
    );
    // GET /api/v2/groups (swagger "Get groups": []codersdk.Group, members inline as
    // ReducedUser). A Premium feature (Template RBAC): 403 or 404 without the licence. The
    // built-in Everyone group has its organization's id and everyone in it.
    app.get("/api/v2/groups", (c) => {
      if (this.groupsLicence === "forbidden")
        return c.json({ message: "Template RBAC is a Premium feature. Contact sales!" }, 403);
      if (this.groupsLicence === "absent") return c.json({ message: "Route not found." }, 404);
      const reduced = (id: string) => {
        const u = this.users.get(id);
        return u
          ? {
              id: u.id,
              username: u.username,
              email: u.email,
              status: u.status,
              login_type: u.login_type,
              created_at: u.created_at,
            }
          : null;
      };
      const everyone: SimGroup = {
        id: DEFAULT_ORG_ID,
        name: "Everyone",
        display_name: "",
        organization_id: DEFAULT_ORG_ID,
        members: [...this.users.keys()],
      };
      return c.json(
        [everyone, ...this.groups.values()].map((g) => {
          const members = g.members.map(reduced).filter((m) => m !== null);
          return {
            id: g.id,
            name: g.name,
            display_name: g.display_name,
            organization_id: g.organization_id,
            organization_name: "coder",
            members,
            total_member_count: members.length,
            source: "user",
            quota_allowance: 0,
            avatar_url: "",
          };
        }),
      );
    });
    app.get("/api/v2/buildinfo", (c) =>
      c.json({
        agent_api_version: "1.0",
        dashboard_url: this.url,
        deployment_id: "sim",
        external_url: "https://github.com/coder/coder/releases/tag/v2.34.3",
        provisioner_api_version: "1.0",
        telemetry: false,
        upgrade_message: "",
        version: "v2.34.3",
        webpush_public_key: "",
        workspace_proxy: false,
      }),
    );
    app.use("/api/v2/*", async (c, next) => {
      const token = c.req.header("Coder-Session-Token");
      if (!token) {
        return c.json(
          {
            message: SIGNED_OUT,
            detail: 'Cookie "coder_session_token" or query parameter must be provided.',
          },
          401,
        );
      }
      if (token !== this.token)
        return c.json({ message: SIGNED_OUT, detail: "API key secret is invalid." }, 401);
      return next();
    });
    app.get("/api/v2/users/me", (c) => {
      const me = this.users.get(this.tokenOwnerId);
      return me
        ? c.json(toWire(me, this.reportsAiSeats))
        : c.json({ message: SIGNED_OUT, detail: "API key is invalid." }, 401);
    });
    // GET /api/v2/users/{user}: an id or a username (swagger: "User ID, username, or me";
    // coderd/httpmw/userparam.go). An unknown user is 404 with Coder's not-found message.
    app.get("/api/v2/users/:user", (c) => {
      const key = c.req.param("user");
      const user = UUID.test(key)
        ? this.users.get(key)
        : [...this.users.values()].find((u) => u.username.toLowerCase() === key.toLowerCase());
      if (!user)
        return c.json(
          { message: "Resource not found or you do not have access to this resource" },
          404,
        );
      return c.body(this.wireJson(user), 200, { "content-type": "application/json" });
    });
    // GET /api/v2/workspaces/{workspace} (swagger: codersdk.Workspace; the fields coder-dx
    // reads and a few beside them). An unknown workspace is Coder's 404.
    app.get("/api/v2/workspaces/:workspace", (c) => {
      const workspace = this.workspaces.get(c.req.param("workspace"));
      if (!workspace)
        return c.json(
          { message: "Resource not found or you do not have access to this resource" },
          404,
        );
      const owner = this.users.get(workspace.ownerId);
      return c.json({
        id: workspace.id,
        created_at: workspace.created_at,
        updated_at: workspace.created_at,
        owner_id: workspace.ownerId,
        owner_name: owner?.username ?? "",
        organization_id: workspace.organizationId,
        template_id: workspace.templateId,
        template_name: workspace.templateName,
        template_display_name: "",
        template_active_version_id: workspace.templateVersionId,
        name: workspace.name,
        outdated: false,
        automatic_updates: "never",
        allow_renames: false,
        favorite: false,
        next_start_at: null,
      });
    });
    app.get("/api/v2/users", async (c) => {
      const query = c.req.query();
      for (const field of ["limit", "offset"] as const) {
        const value = query[field];
        if (
          value !== undefined &&
          value !== "" &&
          (!INT32.test(value) || Number(value) > 2 ** 31 - 1)
        ) {
          return c.json(
            invalidParams(
              "Query parameters have invalid values.",
              field,
              `Query param "${field}" must be a valid 32-bit positive integer: strconv.ParseInt: parsing "${value}": invalid syntax`,
            ),
            400,
          );
        }
      }
      if (query.after_id !== undefined && query.after_id !== "" && !UUID.test(query.after_id)) {
        return c.json(
          invalidParams(
            "Query parameters have invalid values.",
            "after_id",
            `Query param "after_id" must be a valid uuid: invalid UUID length: ${query.after_id.length}`,
          ),
          400,
        );
      }
      let matching = this.inOrder();
      const q = (query.q ?? "").toLowerCase().trim();
      for (const term of q.split(/\s+/).filter(Boolean)) {
        const [key, value] = term.includes(":") ? term.split(":", 2) : ["search", term];
        if (key === "status") {
          const statuses = (value ?? "").split(",");
          matching = matching.filter((u) => statuses.includes(u.status));
        } else if (key === "service_account") {
          matching = matching.filter((u) => u.is_service_account === (value === "true"));
        } else if (key === "search") {
          matching = matching.filter(
            (u) =>
              u.email.toLowerCase().includes(value ?? "") ||
              u.username.toLowerCase().includes(value ?? ""),
          );
        } else {
          return c.json(
            invalidParams(
              "Invalid user search query.",
              key ?? "",
              `"${key}" is not a valid query param`,
            ),
            400,
          );
        }
      }
      let first = 0;
      if (query.after_id) {
        const cursor = this.users.get(query.after_id);
        if (!cursor) return c.json({ users: [], count: 0 });
        const key = cursor.username.toLowerCase();
        let low = 0;
        let high = matching.length;
        while (low < high) {
          const mid = (low + high) >> 1;
          if ((matching[mid] as SimCoderUser).username.toLowerCase() <= key) low = mid + 1;
          else high = mid;
        }
        first = low;
      }
      // Index arithmetic rather than copies: a 100,000-user listing stays linear overall.
      const start = first + Number(query.offset ?? 0);
      const limit = Number(query.limit ?? 0);
      const page = matching.slice(start, limit > 0 ? start + limit : undefined);
      // Serialised from each user's cached JSON: a 5,000-user page must not hold up the
      // other simulator sharing this process (benchmarks run both in one).
      const count = page.length === 0 ? 0 : matching.length - first;
      const wire: string[] = [];
      for (let i = 0; i < page.length; i++) {
        if (i > 0 && i % YIELD_EVERY === 0) await yieldToLoop();
        wire.push(this.wireJson(page[i] as SimCoderUser));
      }
      return c.body(`{"users":[${wire.join(",")}],"count":${count}}`, 200, {
        "content-type": "application/json",
      });
    });
    app.get("/api/v2/insights/user-activity", async (c) => {
      if (!["owner", "auditor", "template-admin"].includes(this.ownerRole)) {
        return c.json(
          { message: "Resource not found or you do not have access to this resource" },
          404,
        );
      }
      const query = c.req.query();
      for (const key of Object.keys(query)) {
        if (!["start_time", "end_time", "template_ids"].includes(key)) {
          return c.json(
            invalidParams(
              "Query parameter has invalid value.",
              key,
              `"${key}" is not a valid query param`,
            ),
            400,
          );
        }
      }
      const now = this.now();
      this.insightsWindows.push({ start: query.start_time ?? "", end: query.end_time ?? "" });
      const start = checkInsightsTime("start_time", query.start_time, now);
      if (start.detail)
        return c.json(
          invalidParams("Query parameter has invalid value.", "start_time", start.detail),
          400,
        );
      const end = checkInsightsTime("end_time", query.end_time, now);
      if (end.detail)
        return c.json(
          invalidParams("Query parameter has invalid value.", "end_time", end.detail),
          400,
        );
      if ((end.time as Date) < (start.time as Date)) {
        return c.json(
          invalidParams(
            "Query parameter has invalid value.",
            "end_time",
            'Query param "end_time" must be after than "start_time"',
          ),
          400,
        );
      }
      // template_ids: that template's share of each person's seconds (the simulator's model);
      // Coder counts each template's 30-minute buckets on their own (reference §3.1).
      const asked = (query.template_ids ?? "").split(",").filter((id) => id !== "");
      const share = (u: SimCoderUser, id: string) =>
        u.templateShares ? (u.templateShares[id] ?? 0) : id === DEFAULT_TEMPLATE_ID ? 1 : 0;
      // Only people with activity in the window appear (coderd's GetUserActivityInsights).
      const users = [];
      const everyone = this.inIdOrder();
      for (let i = 0; i < everyone.length; i++) {
        // A real Coder answers this from its database while serving other requests; a large
        // report must not hold up the simulator sharing this process (benchmarks run both in one).
        if (i > 0 && i % YIELD_EVERY === 0) await yieldToLoop();
        const u = everyone[i] as SimCoderUser;
        const used = Object.keys(u.templateShares ?? { [DEFAULT_TEMPLATE_ID]: 1 }).filter(
          (id) => share(u, id) > 0 && (asked.length === 0 || asked.includes(id)),
        );
        // Coder's query selects the template's rows first: people who never used it cost nothing.
        if (used.length === 0) continue;
        const all = secondsBetween(u, start.time as Date, end.time as Date, now);
        const seconds =
          asked.length === 0
            ? all
            : // Whole minutes, as Coder's are.
              Math.floor((all * asked.reduce((sum, id) => sum + share(u, id), 0)) / 60) * 60;
        if (seconds <= 0) continue;
        users.push({
          user_id: u.id,
          username: u.username,
          avatar_url: "",
          template_ids: used.sort(),
          seconds,
        });
      }
      return c.json({
        report: {
          start_time: query.start_time,
          end_time: query.end_time,
          template_ids: [...new Set(users.flatMap((u) => u.template_ids))].sort(),
          users,
        },
      });
    });
    app.notFound((c) => c.json({ message: "Route not found." }, 404));
    return app;
  }
}
