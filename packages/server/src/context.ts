import type {
  CohortSeries,
  Config,
  Logger,
  NotificationKind,
  Run,
  RunTrigger,
  SyncStore,
} from "@coder-dx/core";
import type { Context, MiddlewareHandler } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import { type ApiToken, atLeast, type Role, roleOf } from "./auth";
import { envelope, type HttpErrorCode, statusFor } from "./errors";
import type { GroupLook } from "./console/look";
import type { Metrics } from "./metrics";

export interface LaunchRequest {
  trigger: RunTrigger;
  dryRun: boolean;
  force: boolean;
  emails: string[];
}

/** What the app needs, typed by interface: tests pass fakes, `serve` passes the real thing. */
export interface AppDeps {
  store: SyncStore;
  /** Starts a run in the background and returns it as recorded; throws `run_in_progress`. */
  launchRun(request: LaunchRequest): Run;
  tokens: readonly ApiToken[];
  metrics: Metrics;
  log: Logger;
  bodyLimitBytes?: number;
  /**
   * The cohort on each of `dates` (the console's 90-day chart), computed off the request path:
   * `serve` reads the database in a worker thread. Default: in this process.
   */
  cohortSeries?: (dates: string[]) => Promise<CohortSeries>;
  /** When the schedule starts the next run (ISO), or null: shown by the console. */
  nextRunAt?: () => string | null;
  /** Each ordered group's values, highest first: what "up" and "down" mean in /v1/report. */
  valueOrders?: Record<string, string[]>;
  /** `live.hookSecret`: the last segment of the hook's path. Null: every hook path is a 404. */
  hookSecret?: string | null;
  /** The notification kinds a run is for (`followedKinds`); default: status changes only. */
  followedKinds?: ReadonlySet<NotificationKind>;
  /** Told when a notification waits for a run (the scheduler starts one soon). */
  live?: { nudge(): void };
  /** The groups' order and colours, for the console (service.ts builds it from the config). */
  groupLook?: GroupLook;
  /** The config, for what the console explains (why someone holds a value). */
  config?: Config;
  /** How often the schedule runs (ms), or null: whether DX is overdue for an update. */
  scheduleEveryMs?: () => number | null;
  /** The PlatformX event names followed, for the console; null or absent: PlatformX is off. */
  platformxEvents?: readonly string[] | null;
  /** `live.statusEvery`, for the console. */
  statusEveryMs?: number | null;
}

export type AppEnv = { Variables: RequestIdVariables & { role: Role } };

/** Thrown by route handlers; `onError` turns it into the envelope. */
export class ApiError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function fail(c: Context<AppEnv>, code: HttpErrorCode, message: string) {
  return c.json(envelope(code, message, c.get("requestId")), statusFor(code));
}

/** Bearer auth: a missing or unknown token is 401, a weaker role 403. */
export function requireRole(tokens: readonly ApiToken[], needed: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match)
      return fail(
        c,
        "unauthorized",
        "send Authorization: Bearer <token> (a token from CODER_DX_API_TOKENS)",
      );
    const role = roleOf(tokens, (match[1] as string).trim());
    if (!role) return fail(c, "unauthorized", "unknown API token");
    if (!atLeast(role, needed))
      return fail(c, "forbidden", `this needs the ${needed} role; the token has ${role}`);
    c.set("role", role);
    await next();
  };
}
