import type {
  ChangeRow,
  CohortCounts,
  CohortSeries,
  EventOutcome,
  Notification,
  PlatformxEvent,
  Run,
  UserReport,
} from "@coder-dx/core";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Role } from "../auth";
import { atLeast } from "../auth";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface Frame {
  title: string;
  /** Which nav entry is current. */
  section: "overview" | "runs" | "people" | "live" | "events" | "signin";
  session: { role: Role; csrf: string } | null;
  notice?: { text: string; error?: boolean } | undefined;
}

/** JSON for a chart, safe inside a <script> element (no `</script>` can close it early). */
function chartData(id: string, spec: unknown): Html {
  const json = JSON.stringify(spec).replace(/</g, "\\u003c");
  return html`<script type="application/json" id="${id}">${raw(json)}</script>`;
}

export function page(frame: Frame, body: Html | ""): Html {
  const nav = (href: string, name: Frame["section"], label: string) =>
    html`<a href="${href}" ${frame.section === name ? raw('aria-current="page"') : ""}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · coder-dx</title>
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <strong>coder-dx</strong>
  ${
    frame.session
      ? html`<nav aria-label="Main">${nav("/", "overview", "Overview")}${nav("/runs", "runs", "Runs")}${nav("/people", "people", "People")}${nav("/live", "live", "Live")}${nav("/events", "events", "Events")}</nav>
  <span class="who">signed in as ${frame.session.role}</span>
  <form class="inline" method="post" action="/signout"><input type="hidden" name="csrf" value="${frame.session.csrf}"><button type="submit">Sign out</button></form>`
      : html`<nav aria-label="Main"></nav>`
  }
</header>
<main id="main">
${frame.notice ? html`<p class="notice${frame.notice.error ? " error" : ""}" role="status">${frame.notice.text}</p>` : ""}
${body}
</main>
<script src="/assets/uPlot.iife.min.js" defer></script>
<script src="/assets/console.js" defer></script>
</body>
</html>`;
}

export function signInPage(csrf: string): Html {
  return html`<h1>Sign in</h1>
<div class="panel">
<form method="post" action="/signin">
  <input type="hidden" name="csrf" value="${csrf}">
  <p><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="off" required size="48"></p>
  <p class="muted">A token from <code>CODER_DX_API_TOKENS</code>. The browser keeps a signed session, never the token.</p>
  <button class="primary" type="submit">Sign in</button>
</form>
</div>`;
}

export function badge(status: string): Html {
  return html`<span class="badge ${status}">${status}</span>`;
}

function seconds(run: Run): string {
  if (!run.finishedAt) return "running";
  return `${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`;
}

function countsLine(run: Run): string {
  const c = run.counts;
  return `${c.users} users · ${c.applied} applied · ${c.rejected} rejected · ${c.unmatched} unmatched · ${c.unchanged} unchanged · ${c.invalid} invalid`;
}

export function actionsPanel(role: Role, csrf: string): Html {
  if (!atLeast(role, "operator"))
    return html`<p class="muted">Starting runs needs the operator role; this session is a viewer.</p>`;
  return html`<div class="panel" aria-label="Actions">
  <form class="inline" method="post" action="/actions/run"><input type="hidden" name="csrf" value="${csrf}"><button class="primary" type="submit">Sync now</button></form>
  <form class="inline" method="post" action="/actions/run"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="dryRun" value="true"><button class="primary" type="submit">Dry run</button></form>
  ${
    atLeast(role, "admin")
      ? html`<form class="inline" method="post" action="/actions/run" data-confirm="Apply past the brakes? Every planned write goes to DX.">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="force" value="true">
  <label><input type="checkbox" name="confirm" value="yes" required> I have read the halt and want every planned write</label>
  <button class="danger" type="submit">Force past brakes</button></form>`
      : ""
  }
</div>`;
}

export interface OverviewModel {
  last: Run | null;
  nextRunAt: string | null;
  recent: Run[];
  cohort: CohortCounts;
  series: CohortSeries;
  role: Role;
  csrf: string;
}

export function overviewPage(m: OverviewModel): Html {
  const runsChart = {
    time: false,
    x: m.recent.map((r) => Number(r.id)),
    series: [
      { label: "applied", values: m.recent.map((r) => r.counts.applied) },
      { label: "rejected", values: m.recent.map((r) => r.counts.rejected) },
      {
        label: "duration (s)",
        scale: "s",
        values: m.recent.map((r) =>
          r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null,
        ),
      },
    ],
  };
  const groups = Object.entries(m.series.groups);
  return html`<h1>Overview</h1>
${actionsPanel(m.role, m.csrf)}
<div class="grid">
<section class="panel" aria-labelledby="last-run">
  <h2 id="last-run">Last run</h2>
  ${
    m.last
      ? html`<p><a href="/runs/${m.last.id}">Run ${m.last.id}</a> ${badge(m.last.status)} ${m.last.dryRun ? "(dry run)" : ""} · ${m.last.trigger}</p>
  <p>${countsLine(m.last)}</p>
  <p>Started ${m.last.startedAt} · ${seconds(m.last)}</p>
  ${m.last.error ? html`<p>${m.last.error.message}</p>` : ""}`
      : html`<p class="muted">No run yet.</p>`
  }
  <p>Next scheduled run: ${m.nextRunAt ?? "none scheduled (serve --schedule sets one)"}</p>
</section>
<section class="panel" aria-labelledby="cohort-now">
  <h2 id="cohort-now">The cohort now</h2>
  ${Object.entries(m.cohort.groups).map(
    ([group, values]) => html`<table><caption class="muted">${group}</caption>
    <thead><tr><th scope="col">value</th><th scope="col" class="num">people</th></tr></thead>
    <tbody>${Object.entries(values).map(([value, n]) => html`<tr><td>${value}</td><td class="num">${n}</td></tr>`)}</tbody></table>`,
  )}
  ${Object.keys(m.cohort.groups).length === 0 ? html`<p class="muted">Nobody yet: DX has confirmed no values.</p>` : ""}
</section>
</div>
<section class="panel" aria-labelledby="runs-chart">
  <h2 id="runs-chart">Runs over time</h2>
  <figure><div class="chart" data-chart data-source="runs-data" role="img" aria-label="writes, rejects and duration of the last ${m.recent.length} runs"></div>
  ${chartData("runs-data", runsChart)}<figcaption>The last ${m.recent.length} runs by number: applied and rejected people (left axis), duration in seconds (right).</figcaption></figure>
</section>
${groups.map(([group, values], i) => {
  const spec = {
    stacked: true,
    x: m.series.dates.map((d) => Date.parse(d) / 1000),
    series: Object.entries(values).map(([label, line]) => ({ label, values: line })),
  };
  return html`<section class="panel" aria-labelledby="cohort-${i}">
  <h2 id="cohort-${i}">${group}: the last ${m.series.dates.length} days</h2>
  <figure><div class="chart" data-chart data-source="cohort-${i}-data" role="img" aria-label="people holding each ${group} value per day"></div>
  ${chartData(`cohort-${i}-data`, spec)}<figcaption>People holding each value at the end of each day, stacked.</figcaption></figure>
  <details><summary>The numbers</summary><table><thead><tr><th scope="col">day</th>${Object.keys(values).map((v) => html`<th scope="col" class="num">${v}</th>`)}</tr></thead>
  <tbody>${m.series.dates.map((d, k) => html`<tr><td>${d.slice(0, 10)}</td>${Object.values(values).map((line) => html`<td class="num">${line[k]}</td>`)}</tr>`)}</tbody></table></details>
</section>`;
})}`;
}

export function runsPage(runs: Run[], nextCursor: string | null, actions: Html): Html {
  return html`<h1>Runs</h1>
${actions}
<table>
<thead><tr><th scope="col">run</th><th scope="col">status</th><th scope="col">trigger</th><th scope="col">started</th><th scope="col" class="num">users</th><th scope="col" class="num">applied</th><th scope="col" class="num">rejected</th><th scope="col" class="num">duration</th></tr></thead>
<tbody>${runs.map(
    (
      r,
    ) => html`<tr><td><a href="/runs/${r.id}">${r.id}</a>${r.dryRun ? " (dry)" : ""}</td><td>${badge(r.status)}</td><td>${r.trigger}</td><td>${r.startedAt}</td>
  <td class="num">${r.counts.users}</td><td class="num">${r.counts.applied}</td><td class="num">${r.counts.rejected}</td><td class="num">${seconds(r)}</td></tr>`,
  )}</tbody>
</table>
${runs.length === 0 ? html`<p class="muted">No runs yet.</p>` : ""}
${nextCursor ? html`<p><a href="/runs?cursor=${encodeURIComponent(nextCursor)}">Older runs</a></p>` : ""}`;
}

const OUTCOMES = ["applied", "rejected", "unmatched", "planned", "invalid", "pending", "skipped"];

export function changesTable(rows: ChangeRow[]): Html {
  return html`<table>
<thead><tr><th scope="col">at</th><th scope="col">email</th><th scope="col">kind</th><th scope="col">before → after</th><th scope="col">outcome</th><th scope="col">run</th></tr></thead>
<tbody>${rows.map(
    (
      r,
    ) => html`<tr><td>${r.at}</td><td><a href="/people?email=${encodeURIComponent(r.email)}">${r.email}</a></td><td>${r.kind}</td>
  <td>${describeValues(r.before)} → ${describeValues(r.after)}</td><td>${r.outcome}${r.error ? html`<br><span class="muted">${r.error.message}</span>` : ""}</td><td><a href="/runs/${r.runId}">${r.runId}</a></td></tr>`,
  )}</tbody></table>`;
}

function describeValues(values: Record<string, string | null> | null): string {
  if (!values) return "—";
  const entries = Object.entries(values);
  return entries.length === 0
    ? "{}"
    : entries.map(([k, v]) => `${k}: ${v ?? "(cleared)"}`).join(", ");
}

export function runPage(
  run: Run,
  filters: { outcome?: string | undefined; email?: string | undefined },
  changes: ChangeRow[],
  nextCursor: string | null,
): Html {
  const settings =
    run.status === "halted" ? [...new Set(run.error?.message.match(/safety\.\w+/g) ?? [])] : [];
  const query = (cursor: string) =>
    new URLSearchParams({
      ...(filters.outcome ? { outcome: filters.outcome } : {}),
      ...(filters.email ? { email: filters.email } : {}),
      cursor,
    }).toString();
  return html`<h1>Run ${run.id} ${badge(run.status)}</h1>
<div class="panel">
<p>${run.dryRun ? "Dry run · " : ""}${run.trigger} · started ${run.startedAt} · ${seconds(run)}</p>
<p>${countsLine(run)}</p>
${run.error ? html`<p><strong>${run.status === "halted" ? "Halted" : "Error"}</strong> (${run.error.code}): ${run.error.message}</p>` : ""}
${settings.length > 0 ? html`<p>Governed by ${settings.map((s, i) => html`${i > 0 ? ", " : ""}<code>${s}</code>`)} in the config; an admin can force the run past the brake.</p>` : ""}
</div>
<h2>Changes</h2>
<form method="get" action="/runs/${run.id}" class="panel">
  <label for="outcome">Outcome</label>
  <select id="outcome" name="outcome"><option value="">any</option>${OUTCOMES.map((o) => html`<option value="${o}" ${filters.outcome === o ? raw("selected") : ""}>${o}</option>`)}</select>
  <label for="email">Email</label><input id="email" name="email" type="search" value="${filters.email ?? ""}">
  <button class="primary" type="submit">Filter</button>
</form>
${changesTable(changes)}
${changes.length === 0 ? html`<p class="muted">No changes match.</p>` : ""}
${nextCursor ? html`<p><a href="/runs/${run.id}?${query(nextCursor)}">More changes</a></p>` : ""}`;
}

export function personPage(email: string, at: string, report: UserReport | null): Html {
  return html`<h1>People</h1>
<form method="get" action="/people" class="panel">
  <label for="email">Email</label><input id="email" name="email" type="search" value="${email}" required>
  <label for="at">Held on (optional)</label><input id="at" name="at" value="${at}" placeholder="2026-11-01">
  <button class="primary" type="submit">Find</button>
</form>
${
  email === ""
    ? ""
    : report === null
      ? html`<p class="notice">coder-dx has no record of ${email}.</p>`
      : html`<section class="panel" aria-labelledby="held"><h2 id="held">${at ? `Held on ${at}` : "Attributes now"}</h2>
  <table><tbody>${Object.entries(report.user.attributes).map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v ?? "(cleared)"}</td></tr>`)}</tbody></table>
  ${Object.keys(report.user.attributes).length === 0 ? html`<p class="muted">Nothing confirmed ${at ? "by then" : "yet"}.</p>` : ""}
  <p class="muted">Coder user ${report.user.coderUserId ?? "unknown"} · last confirmed ${report.user.updatedAt ?? "never"}</p></section>
  <h2>Timeline</h2>${changesTable(report.history)}`
}`;
}

export interface LiveModel {
  hook: boolean;
  statusEveryMs: number | null;
  notifications: Notification[];
  nextCursor: string | null;
  /** Receipt → DX confirmation, over the notifications listed that led to a confirmed write. */
  latency: { count: number; medianMs: number; p95Ms: number } | null;
}

function seconds1(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Coder's notifications and what each led to; how fast a change in Coder reaches DX. */
export function livePage(m: LiveModel): Html {
  const subject = (n: Notification) =>
    n.subject.email ?? (n.subject.username ? `@${n.subject.username}` : (n.subject.userId ?? "—"));
  return html`<h1>Live</h1>
<div class="grid">
<section class="panel" aria-labelledby="live-setup">
  <h2 id="live-setup">Set-up</h2>
  <p>Coder's notifications: ${m.hook ? "taken at /v1/hooks/coder/<live.hookSecret>" : "off (live.hookSecret is not set)"}</p>
  <p>Status pass: ${m.statusEveryMs === null ? "off (live.statusEvery)" : `every ${Math.round(m.statusEveryMs / 1000)} s`}</p>
</section>
<section class="panel" aria-labelledby="live-latency">
  <h2 id="live-latency">From Coder to DX</h2>
  ${
    m.latency
      ? html`<p>Median <strong>${seconds1(m.latency.medianMs)}</strong> · p95 <strong>${seconds1(m.latency.p95Ms)}</strong> from a notification's receipt to DX confirming its write, over the last ${m.latency.count}.</p>`
      : html`<p class="muted">No notification has led to a write DX confirmed yet.</p>`
  }
</section>
</div>
<h2>Notifications</h2>
<table>
<thead><tr><th scope="col">received</th><th scope="col">notification</th><th scope="col">about</th><th scope="col">led to</th><th scope="col">note</th></tr></thead>
<tbody>${m.notifications.map(
    (
      n,
    ) => html`<tr><td>${n.receivedAt.replace("T", " ").slice(0, 19)}</td><td>${n.name}</td><td>${subject(n)}</td>
  <td>${n.outcome === "run" || n.outcome === "duplicate" ? html`<a href="/runs/${n.runId}">run ${n.runId}</a>${n.outcome === "duplicate" ? " (a copy)" : ""}` : n.outcome}</td>
  <td class="note">${n.note ?? ""}</td></tr>`,
  )}</tbody>
</table>
${m.notifications.length === 0 ? html`<p class="muted">No notification from Coder yet.</p>` : ""}
${m.nextCursor ? html`<p><a href="/live?cursor=${encodeURIComponent(m.nextCursor)}">Older notifications</a></p>` : ""}`;
}

export interface EventsModel {
  /** The PlatformX event names followed; null when PlatformX is off. */
  followed: readonly string[] | null;
  /** The outbox by outcome. */
  counts: Partial<Record<EventOutcome, number>>;
  outcome: EventOutcome | undefined;
  email: string;
  events: readonly PlatformxEvent[];
  nextCursor: string | null;
}

const EVENT_OUTCOME_ORDER: EventOutcome[] = ["sent", "pending", "unknown", "rejected", "invalid"];

/** When an event happened, as PlatformX was told (Unix seconds), readable. */
const happened = (event: PlatformxEvent) =>
  new Date(Number(event.timestamp) * 1000).toISOString().replace("T", " ").slice(0, 19);

export function eventsPage(m: EventsModel): Html {
  const query = (extra: Record<string, string>) =>
    new URLSearchParams({
      ...(m.outcome ? { outcome: m.outcome } : {}),
      ...(m.email ? { email: m.email } : {}),
      ...extra,
    }).toString();
  return html`<h1>PlatformX events</h1>
<div class="panel">
<p>${
    m.followed === null
      ? "PlatformX is off: set platformx.token (a PlatformX project token) to send Coder's events."
      : `Sends ${m.followed.join(", ")}: each once, for the person it is about.`
  }</p>
<p>${EVENT_OUTCOME_ORDER.map(
    (o, i) =>
      html`${i > 0 ? " · " : ""}<a href="/events?outcome=${o}">${m.counts[o] ?? 0} ${o}</a>`,
  )}</p>
${(m.counts.unknown ?? 0) > 0 ? html`<p class="muted">Unknown: a send whose answer was lost (a kill, a timeout). DX may have it, so it is not sent again unless platformx.resendUnknown is set.</p>` : ""}
</div>
<form method="get" action="/events" class="panel">
  <label for="outcome">Outcome</label>
  <select id="outcome" name="outcome"><option value="">any</option>${EVENT_OUTCOME_ORDER.map((o) => html`<option value="${o}" ${m.outcome === o ? raw("selected") : ""}>${o}</option>`)}</select>
  <label for="email">Email</label><input id="email" name="email" type="search" value="${m.email}">
  <button class="primary" type="submit">Filter</button>
</form>
<table>
<thead><tr><th scope="col">happened (UTC)</th><th scope="col">event</th><th scope="col">about</th><th scope="col">from</th><th scope="col">outcome</th><th scope="col">tries</th></tr></thead>
<tbody>${m.events.map(
    (e) => html`<tr><td>${happened(e)}</td><td>${e.name}</td>
  <td>${e.email ? html`<a href="/people?email=${encodeURIComponent(e.email)}">${e.email}</a>` : "—"}</td>
  <td>${e.source === "webhook" ? "a notification" : "a pass"}${e.runId ? html` · <a href="/runs/${e.runId}">run ${e.runId}</a>` : ""}</td>
  <td>${e.outcome}${e.error ? html`<br><span class="muted">${e.error.message}</span>` : ""}</td><td>${e.attempts}</td></tr>`,
  )}</tbody>
</table>
${m.events.length === 0 ? html`<p class="muted">No events match.</p>` : ""}
${m.nextCursor ? html`<p><a href="/events?${query({ cursor: m.nextCursor })}">Older events</a></p>` : ""}`;
}
