import type { EventOutcome, Notification, PlatformxEvent } from "@coder-dx/core";
import { html, raw } from "hono/html";
import type { Role } from "../auth";
import { atLeast } from "../auth";
import { type Html, time } from "./look";

export interface Frame {
  title: string;
  /** Which nav entry is current. */
  section: "overview" | "runs" | "people" | "live" | "events" | "signin";
  session: { role: Role; csrf: string } | null;
  notice?: { text: string; error?: boolean } | undefined;
  /** Reload the page every so many seconds (a run in progress); plain HTML, no script. */
  refreshSeconds?: number | undefined;
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
${frame.refreshSeconds ? html`<meta http-equiv="refresh" content="${frame.refreshSeconds}">` : ""}
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

/**
 * Sync now and Dry run for operators; Force past brakes for admins, and only when the last
 * real run halted (there is nothing to force otherwise).
 */
export function actionsPanel(role: Role, csrf: string, offerForce: boolean): Html {
  if (!atLeast(role, "operator"))
    return html`<p class="muted">Starting runs needs the operator role; this session is a viewer.</p>`;
  return html`<div class="panel" aria-label="Actions">
  <form class="inline" method="post" action="/actions/run"><input type="hidden" name="csrf" value="${csrf}"><button class="primary" type="submit">Sync now</button></form>
  <form class="inline" method="post" action="/actions/run"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="dryRun" value="true"><button class="primary" type="submit">Dry run</button></form>
  ${
    atLeast(role, "admin") && offerForce
      ? html`<form class="inline" method="post" action="/actions/run" data-confirm="Apply past the brakes? Every planned write goes to DX.">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="force" value="true">
  <label><input type="checkbox" name="confirm" value="yes" required> I have read the halt and want every planned write</label>
  <button class="danger" type="submit">Force past brakes</button></form>`
      : ""
  }
</div>`;
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
    ) => html`<tr><td class="when">${time(n.receivedAt)}</td><td>${n.name}</td><td>${subject(n)}</td>
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
  time(new Date(Number(event.timestamp) * 1000).toISOString());

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
<thead><tr><th scope="col">happened</th><th scope="col">event</th><th scope="col">about</th><th scope="col">from</th><th scope="col">outcome</th><th scope="col">tries</th></tr></thead>
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
