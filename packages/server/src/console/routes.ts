import {
  CHANGE_OUTCOMES,
  type CohortCounts,
  type CohortSeries,
  cohortSeries,
  countsOn,
  cursorProblem,
  describeUser,
  EVENT_OUTCOMES,
  type EventOutcome,
  explainPerson,
  isCursor,
  isCoderDxError,
  LAST_REAL_RUN,
  LAST_SUCCESS_RUN,
  matchesRun,
  parseTime,
  type Run,
  TIME_PROBLEM,
} from "@coder-dx/core";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { atLeast } from "../auth";
import type { AppDeps, AppEnv } from "../context";
import { consoleAssets } from "./assets";
import type { GroupLook } from "./look";
import { attentionFor, overviewPage } from "./overview";
import { actionsPanel, eventsPage, type Frame, livePage, page, signInPage } from "./pages";
import { peoplePage, personPage } from "./people-pages";
import { runPage, runsPage } from "./runs-pages";
import { type Session, Sessions } from "./session";

const SESSION_COOKIE = "coder_dx_session";
/** Double-submit token for the sign-in form, which has no session yet. */
const SIGNIN_COOKIE = "coder_dx_signin";
const COHORT_DAYS = 90;
/** How long a page waits for a cohort being computed before it shows the last one. */
const SERIES_WAIT_MS = 150;

type ConsoleEnv = AppEnv & { Variables: { session: Session } };

/** The cohort now is the series' last day (it ends tonight: nothing is later). */
function cohortNow(series: CohortSeries): { cohort: CohortCounts; series: CohortSeries } {
  return { cohort: countsOn(series, series.dates.length - 1), series };
}

function secure(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
}

function cookieOptions(c: Context, maxAgeSeconds: number) {
  return {
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: secure(c),
    path: "/",
    maxAge: maxAgeSeconds,
  };
}

/** `6 h`, `2 d`: a duration as a person says it. */
function span(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48
    ? `${Math.round(hours / 24)} days`
    : hours >= 1
      ? `${Math.round(hours)} h`
      : `${Math.round(ms / 60_000)} min`;
}

/**
 * Why DX is overdue for an update, or null: with a schedule, the last success is older than
 * two of its intervals (one missed run is not yet an alarm).
 */
export function overdueBecause(
  now: Date,
  lastSuccess: Run | null,
  everyMs: number | null,
): string | null {
  if (everyMs === null) return null;
  if (!lastSuccess?.finishedAt)
    return `the schedule runs every ${span(everyMs)}, and no real run has succeeded yet`;
  const age = now.getTime() - Date.parse(lastSuccess.finishedAt);
  if (age <= 2 * everyMs) return null;
  return `the schedule runs every ${span(everyMs)}, and DX was last brought up to date ${span(age)} ago`;
}

/** The ends of the last `days` UTC days, oldest first (today's end included). */
function dayEnds(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) =>
    new Date(today + (i - days + 2) * 86_400_000 - 1).toISOString(),
  );
}

/**
 * The web console: server-rendered pages on the same app, a signed session cookie (never the
 * token), a CSRF token on every form that changes anything, and runs started through the
 * same rules as POST /v1/runs. Reading works without JavaScript; charts draw with uPlot.
 */
export function registerConsole(
  app: Hono<AppEnv>,
  deps: AppDeps,
  sessions = new Sessions(deps.tokens),
): void {
  const assets = consoleAssets();
  // Nothing from elsewhere, no inline script, and never inside a frame (a framed "Force past
  // brakes" could be clicked by someone who does not see it).
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
  });
  app.get("/assets/:name", headers, (c) => {
    const asset = assets.get(c.req.param("name"));
    if (!asset) return c.text("not found", 404);
    return c.body(asset.body, 200, {
      "content-type": asset.type,
      "cache-control": "public, max-age=3600",
    });
  });

  const frame = (
    c: Context<ConsoleEnv>,
    title: string,
    section: Frame["section"],
    notice?: Frame["notice"],
  ): Frame => {
    const session = c.get("session");
    return { title, section, session: { role: session.role, csrf: session.csrf }, notice };
  };

  /** The sign-in form again, with why (a new form token comes with it). */
  const signInAgain = (c: Context, csrf: string, text: string, status: 401 | 403) =>
    c.html(
      page(
        { title: "Sign in", section: "signin", session: null, notice: { text, error: true } },
        signInPage(csrf),
      ),
      status,
    );
  /** A page that only says why something was refused or not found. */
  const refuse = (
    c: Context<ConsoleEnv>,
    status: 400 | 403 | 404 | 409,
    text: string,
    section: Frame["section"] = "overview",
  ) => c.html(page(frame(c, "Refused", section, { text, error: true }), ""), status);

  /** Pages need a session: without one, a read goes to sign-in and a post is refused. */
  const signedIn: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const session = sessions.read(getCookie(c, SESSION_COOKIE));
    if (!session) {
      if (c.req.method === "GET") return c.redirect("/signin", 303);
      return signInAgain(c, "", "Your session has ended: sign in again.", 401);
    }
    c.set("session", session);
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!Sessions.csrfMatches(session, form.csrf))
        return refuse(
          c,
          403,
          "The form was missing its CSRF token or it did not match: reload the page and try again.",
        );
    }
    await next();
  };

  app.get("/signin", headers, (c) => {
    if (sessions.read(getCookie(c, SESSION_COOKIE))) return c.redirect("/", 303);
    const csrf = crypto.randomUUID();
    setCookie(c, SIGNIN_COOKIE, csrf, cookieOptions(c, 600));
    return c.html(page({ title: "Sign in", section: "signin", session: null }, signInPage(csrf)));
  });

  app.post("/signin", headers, async (c) => {
    const form = await c.req.parseBody();
    const expected = getCookie(c, SIGNIN_COOKIE);
    const csrf = crypto.randomUUID();
    setCookie(c, SIGNIN_COOKIE, csrf, cookieOptions(c, 600));
    if (!expected || form.csrf !== expected)
      return signInAgain(c, csrf, "The sign-in form expired: try again.", 403);
    const signed = typeof form.token === "string" ? sessions.signIn(form.token.trim()) : null;
    if (!signed) {
      deps.log.warn("console sign-in refused: unknown token");
      return signInAgain(c, csrf, "Unknown API token.", 401);
    }
    deleteCookie(c, SIGNIN_COOKIE, { path: "/" });
    setCookie(
      c,
      SESSION_COOKIE,
      signed.cookie,
      cookieOptions(c, Math.floor(sessions.ttlMs / 1000)),
    );
    deps.log.info("console sign-in", { role: signed.session.role });
    return c.redirect("/", 303);
  });

  const pages = app as unknown as Hono<ConsoleEnv>;
  pages.post("/signout", headers, signedIn, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: secure(c) });
    return c.redirect("/signin", 303);
  });

  // The 90-day series folds the whole history (2,000,000 rows: about 5 s), off the request
  // path, and again only when a real run has finished since (or the day changed): never
  // while a run writes. A page waits for it briefly, then shows the last one it has.
  const compute = deps.cohortSeries ?? (async (dates: string[]) => cohortSeries(deps.store, dates));
  let latest: { key: string; series: CohortSeries } | null = null;
  let pending: { key: string; done: Promise<void> } | null = null;
  const series = async (now: Date): Promise<{ series: CohortSeries | null; fresh: boolean }> => {
    const last = deps.store.lastFinishedRun();
    const key = `${now.toISOString().slice(0, 10)}|${last?.id ?? ""}|${last?.finishedAt ?? ""}`;
    if (latest?.key !== key && pending?.key !== key) {
      const started = { key, done: Promise.resolve() };
      started.done = compute(dayEnds(now, COHORT_DAYS))
        .then((computed) => {
          latest = { key, series: computed };
        })
        .catch((error: unknown) =>
          deps.log.error("the cohort chart could not be computed", {
            message: (error as Error).message,
          }),
        )
        .finally(() => {
          if (pending === started) pending = null;
        });
      pending = started;
    }
    if (latest?.key !== key && pending)
      await Promise.race([pending.done, new Promise((r) => setTimeout(r, SERIES_WAIT_MS))]);
    return { series: latest?.series ?? null, fresh: latest?.key === key };
  };
  // Started now, so the first visitor finds it ready.
  void series(new Date());

  /** What the console needs to know of the groups: their order and colours. */
  const look: GroupLook = deps.groupLook ?? { orders: {}, status: "Coder", levels: [] };
  /** The last real run halted: only then is there something to force. */
  const offerForce = () => deps.store.newestRun(LAST_REAL_RUN)?.status === "halted";

  pages.get("/", headers, signedIn, async (c) => {
    const now = new Date();
    const session = c.get("session");
    const { series: computed, fresh } = await series(now);
    const notice = computed
      ? fresh
        ? undefined
        : { text: "The cohort below is from before the last run; it is being brought up to date." }
      : { text: "The cohort is being computed from the audit history; reload in a few seconds." };
    const lastReal = deps.store.newestRun(LAST_REAL_RUN);
    const lastSuccess = deps.store.newestRun(LAST_SUCCESS_RUN);
    const dry = deps.store.newestRun({ dryRun: true, finished: true });
    const running = deps.store.newestRun({ statuses: ["running"] });
    const recent = deps.store
      .listRuns({ limit: 200 })
      .items.filter((r) => matchesRun(r, LAST_REAL_RUN))
      .slice(0, 30)
      .reverse();
    const events: Partial<Record<EventOutcome, number>> = {};
    for (const row of deps.store.eventCounts())
      events[row.outcome] = (events[row.outcome] ?? 0) + row.count;
    return c.html(
      page(
        frame(c, "Overview", "overview", notice),
        overviewPage({
          lastReal,
          lastSuccess,
          latestDry: dry && (!lastReal || Number(dry.id) > Number(lastReal.id)) ? dry : null,
          running,
          nextRunAt: deps.nextRunAt?.() ?? null,
          overdue: overdueBecause(now, lastSuccess, deps.scheduleEveryMs?.() ?? null),
          attention: attentionFor(lastReal, events),
          recent,
          ...cohortNow(computed ?? { dates: [], groups: {} }),
          look,
          role: session.role,
          csrf: session.csrf,
          offerForce: lastReal?.status === "halted",
        }),
      ),
    );
  });

  pages.get("/runs", headers, signedIn, (c) => {
    const cursor = c.req.query("cursor") || undefined;
    if (cursor !== undefined && !isCursor(cursor))
      return refuse(c, 400, cursorProblem(cursor), "runs");
    const { items, nextCursor } = deps.store.listRuns({ limit: 25, cursor });
    const session = c.get("session");
    return c.html(
      page(
        frame(c, "Runs", "runs"),
        runsPage(items, nextCursor, actionsPanel(session.role, session.csrf, offerForce())),
      ),
    );
  });

  pages.get("/runs/:id", headers, signedIn, (c) => {
    const run = /^\d+$/.test(c.req.param("id")) ? deps.store.getRun(c.req.param("id")) : null;
    if (!run) return refuse(c, 404, `No run ${c.req.param("id")}.`, "runs");
    const outcome = c.req.query("outcome") || undefined;
    const email = c.req.query("email")?.trim().toLowerCase() || undefined;
    if (outcome && !(CHANGE_OUTCOMES as readonly string[]).includes(outcome))
      return refuse(c, 400, `outcome must be one of ${CHANGE_OUTCOMES.join(", ")}`, "runs");
    const cursor = c.req.query("cursor") || undefined;
    if (cursor !== undefined && !isCursor(cursor))
      return refuse(c, 400, cursorProblem(cursor), "runs");
    const changes = deps.store.listChanges({
      runId: run.id,
      outcome: outcome as never,
      email,
      limit: 50,
      cursor,
    });
    return c.html(
      page(
        {
          ...frame(c, `Run ${run.id}`, "runs"),
          // Until it ends: plain HTML, so the page works without JavaScript.
          refreshSeconds: run.status === "running" ? 2 : undefined,
        },
        runPage(run, { outcome, email }, changes.items, changes.nextCursor),
      ),
    );
  });

  pages.get("/live", headers, signedIn, (c) => {
    const cursor = c.req.query("cursor") || undefined;
    if (cursor !== undefined && !isCursor(cursor))
      return refuse(c, 400, cursorProblem(cursor), "live");
    const listed = deps.store.listNotifications({ limit: 50, cursor });
    // The latency over the last 500 that led to a write DX confirmed.
    const times = deps.store
      .listNotifications({ limit: 500 })
      .items.filter((n) => n.confirmedAt !== null)
      .map((n) => Date.parse(n.confirmedAt as string) - Date.parse(n.receivedAt))
      .sort((a, b) => a - b);
    const at = (p: number) =>
      times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? 0;
    return c.html(
      page(
        frame(c, "Live", "live"),
        livePage({
          hook: Boolean(deps.hookSecret),
          statusEveryMs: deps.statusEveryMs ?? null,
          notifications: listed.items,
          nextCursor: listed.nextCursor,
          latency:
            times.length > 0 ? { count: times.length, medianMs: at(0.5), p95Ms: at(0.95) } : null,
        }),
      ),
    );
  });

  pages.get("/events", headers, signedIn, (c) => {
    const cursor = c.req.query("cursor") || undefined;
    if (cursor !== undefined && !isCursor(cursor))
      return refuse(c, 400, cursorProblem(cursor), "events");
    const outcome = c.req.query("outcome") || undefined;
    if (outcome !== undefined && !(EVENT_OUTCOMES as readonly string[]).includes(outcome))
      return refuse(c, 400, `outcome "${outcome}": one of ${EVENT_OUTCOMES.join(", ")}`, "events");
    const email = c.req.query("email")?.trim() ?? "";
    const listed = deps.store.listEvents({
      outcome: outcome as EventOutcome | undefined,
      email: email || undefined,
      limit: 50,
      cursor,
    });
    const counts: Partial<Record<EventOutcome, number>> = {};
    for (const row of deps.store.eventCounts())
      counts[row.outcome] = (counts[row.outcome] ?? 0) + row.count;
    return c.html(
      page(
        frame(c, "Events", "events"),
        eventsPage({
          followed: deps.platformxEvents ?? null,
          counts,
          outcome: outcome as EventOutcome | undefined,
          email,
          events: listed.items,
          nextCursor: listed.nextCursor,
        }),
      ),
    );
  });

  pages.get("/people", headers, signedIn, (c) => {
    const email = c.req.query("email")?.trim() ?? "";
    const at = c.req.query("at")?.trim() ?? "";
    const search = c.req.query("q")?.trim() ?? "";
    const filter = c.req.query("filter")?.trim() ?? "";
    const cursor = c.req.query("cursor") || undefined;
    if (cursor !== undefined && !isCursor(cursor))
      return refuse(c, 400, cursorProblem(cursor), "people");
    // The API's and the CLI's rule and words: a time that is not one is refused, never read
    // as "now" under a heading that names it.
    if (at !== "" && parseTime(at, "at") === null)
      return refuse(c, 400, `"${at}": ${TIME_PROBLEM}`, "people");
    if (email !== "") {
      const report = describeUser(deps.store, email, at || undefined);
      if (report)
        return c.html(
          page(
            frame(c, report.user.email, "people"),
            personPage({
              email,
              at,
              report,
              why: deps.config ? explainPerson(report, deps.config) : null,
              showPlanned: c.req.query("planned") === "1",
              look,
            }),
          ),
        );
    }
    const [group, value] = filter.includes("=")
      ? [filter.slice(0, filter.indexOf("=")), filter.slice(filter.indexOf("=") + 1)]
      : [undefined, undefined];
    const listed = deps.store.listPeople({
      search: email || search || undefined,
      group,
      value,
      limit: 50,
      cursor,
    });
    return c.html(
      page(
        frame(c, "People", "people"),
        peoplePage({
          search: email || search,
          filter,
          people: listed.items,
          nextCursor: listed.nextCursor,
          look,
          notFound: email || undefined,
        }),
      ),
      email ? 404 : 200,
    );
  });

  pages.post("/actions/run", headers, signedIn, async (c) => {
    const session = c.get("session");
    const form = await c.req.parseBody();
    const dryRun = form.dryRun === "true";
    const force = form.force === "true";
    if (!atLeast(session.role, "operator"))
      return refuse(c, 403, "Starting runs needs the operator role.");
    if (force && !atLeast(session.role, "admin"))
      return refuse(c, 403, "Forcing past the brakes needs the admin role.");
    if (force && form.confirm !== "yes")
      return refuse(c, 403, "Forcing past the brakes needs the confirmation box ticked.");
    try {
      const run = deps.launchRun({ trigger: "console", dryRun, force, emails: [] });
      return c.redirect(`/runs/${run.id}`, 303);
    } catch (error) {
      if (isCoderDxError(error, "run_in_progress"))
        return refuse(c, 409, "A run is in progress: wait for it to finish.", "runs");
      throw error;
    }
  });
}
