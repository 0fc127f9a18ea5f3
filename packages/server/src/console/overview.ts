import type { CohortCounts, CohortSeries, EventOutcome, Run } from "@coder-dx/core";
import { html } from "hono/html";
import type { Role } from "../auth";
import {
  chartData,
  countsLine,
  duration,
  type GroupLook,
  type Html,
  ordered,
  runBadges,
  share,
  swatch,
  time,
  valueColor,
  writesLine,
} from "./look";
import { actionsPanel } from "./pages";

/** Something an admin should look at, and where. */
export interface Attention {
  text: string;
  href: string;
}

/**
 * What needs attention, from the newest real full run and PlatformX's outbox: a halt, people
 * DX refused, people without a usable email, values changed by hand in DX, events that may
 * not have reached PlatformX. Each links to its list. Pure.
 */
export function attentionFor(
  lastReal: Run | null,
  events: Partial<Record<EventOutcome, number>>,
): Attention[] {
  const items: Attention[] = [];
  if (lastReal) {
    const run = `/runs/${lastReal.id}`;
    const c = lastReal.counts;
    if (lastReal.status === "halted")
      items.push({
        text: `Run ${lastReal.id} halted at a brake before any write: ${lastReal.error?.message ?? ""}`,
        href: run,
      });
    if (lastReal.status === "failed")
      items.push({
        text: `Run ${lastReal.id} failed: ${lastReal.error?.message ?? ""}`,
        href: run,
      });
    if (c.rejected > 0)
      items.push({
        text: `${c.rejected} ${c.rejected === 1 ? "person" : "people"} DX refused in run ${lastReal.id}`,
        href: `${run}?outcome=rejected`,
      });
    if (c.invalid > 0)
      items.push({
        text: `${c.invalid} ${c.invalid === 1 ? "person" : "people"} without a usable email in run ${lastReal.id}`,
        href: `${run}?outcome=invalid`,
      });
    if (c.drift > 0)
      items.push({
        text: `${c.drift} ${c.drift === 1 ? "value" : "values"} changed by hand in DX (drift) in run ${lastReal.id}`,
        href: `${run}?outcome=skipped`,
      });
  }
  const unknown = events.unknown ?? 0;
  if (unknown > 0)
    items.push({
      text: `${unknown} PlatformX ${unknown === 1 ? "event" : "events"} whose answer was lost (DX may have them)`,
      href: "/events?outcome=unknown",
    });
  const rejected = events.rejected ?? 0;
  if (rejected > 0)
    items.push({
      text: `${rejected} PlatformX ${rejected === 1 ? "event" : "events"} DX refused`,
      href: "/events?outcome=rejected",
    });
  return items;
}

export interface OverviewModel {
  /** The newest finished real full run, and the newest that succeeded. */
  lastReal: Run | null;
  lastSuccess: Run | null;
  /** The newest dry run, when it is newer than the last real run. */
  latestDry: Run | null;
  running: Run | null;
  nextRunAt: string | null;
  /** Why DX is overdue for an update against the schedule, or null. */
  overdue: string | null;
  attention: Attention[];
  /** Real full runs, oldest first, for the chart. */
  recent: Run[];
  cohort: CohortCounts;
  series: CohortSeries;
  look: GroupLook;
  role: Role;
  csrf: string;
  /** Offer "Force past brakes": the last real run halted. */
  offerForce: boolean;
}

/** The days from the first with anyone in any group: no months of zeros before the record starts. */
function recordedDays(series: CohortSeries): number {
  const first = series.dates.findIndex((_, day) =>
    Object.values(series.groups).some((values) =>
      Object.values(values).some((line) => (line[day] ?? 0) > 0),
    ),
  );
  return first < 0 ? series.dates.length : first;
}

export function overviewPage(m: OverviewModel): Html {
  const seconds = (r: Run) =>
    r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null;
  const runsChart = {
    x: m.recent.map((r) => Math.floor(Date.parse(r.startedAt) / 1000)),
    xLabel: "run started (UTC)",
    xFormat: "datetime",
    yLabel: "people",
    series: [
      { label: "applied", color: "#1a7f37", values: m.recent.map((r) => r.counts.applied) },
      { label: "rejected", color: "#b42318", values: m.recent.map((r) => r.counts.rejected) },
      {
        label: "duration (s)",
        color: "#6e7781",
        scale: "s",
        dash: true,
        values: m.recent.map(seconds),
      },
    ],
    scales: { s: "seconds" },
  };
  const from = recordedDays(m.series);
  const days = m.series.dates.slice(from);
  return html`<h1>Overview</h1>
${actionsPanel(m.role, m.csrf, m.offerForce)}
<div class="grid">
<section class="panel" aria-labelledby="up-to-date">
  <h2 id="up-to-date">DX up to date</h2>
  ${
    m.lastSuccess
      ? html`<p class="lead">Last brought up to date <strong>${time(m.lastSuccess.finishedAt)}</strong> by <a href="/runs/${m.lastSuccess.id}">run ${m.lastSuccess.id}</a> (${writesLine(m.lastSuccess)}).</p>`
      : html`<p class="lead">No real run has succeeded yet: DX has not been brought up to date.</p>`
  }
  ${m.overdue ? html`<p class="notice error" role="status">Overdue: ${m.overdue}</p>` : ""}
  ${
    m.lastReal && m.lastReal.id !== m.lastSuccess?.id
      ? html`<p>Last real run: <a href="/runs/${m.lastReal.id}">run ${m.lastReal.id}</a> ${runBadges(m.lastReal)} · ${time(m.lastReal.startedAt)}</p>`
      : ""
  }
  ${m.running ? html`<p>Running now: <a href="/runs/${m.running.id}">run ${m.running.id}</a> ${runBadges(m.running)}</p>` : ""}
  ${
    m.latestDry
      ? html`<p>Latest dry run: <a href="/runs/${m.latestDry.id}">run ${m.latestDry.id}</a> ${runBadges(m.latestDry)} · ${writesLine(m.latestDry)}</p>`
      : ""
  }
  <p class="muted">Next scheduled run: ${m.nextRunAt ? time(m.nextRunAt) : "none scheduled (serve --schedule sets one)"}</p>
</section>
<section class="panel" aria-labelledby="attention">
  <h2 id="attention">Needs attention</h2>
  ${
    m.attention.length === 0
      ? html`<p>Nothing needs attention.</p>`
      : html`<ul class="attention">${m.attention.map((a) => html`<li><a href="${a.href}">${a.text}</a></li>`)}</ul>`
  }
  ${m.lastReal ? html`<p class="muted">From run ${m.lastReal.id}: ${countsLine(m.lastReal)} · ${duration(m.lastReal)}</p>` : ""}
</section>
</div>
<section class="panel" aria-labelledby="cohort-now">
  <h2 id="cohort-now">The cohort now</h2>
  <div class="grid">
  ${Object.entries(m.cohort.groups).map(([group, values]) => {
    const total = Object.values(values).reduce((a, b) => a + b, 0);
    return html`<table><caption>${group}</caption>
    <thead><tr><th scope="col">value</th><th scope="col" class="num">people</th><th scope="col" class="num">share</th></tr></thead>
    <tbody>${ordered(m.look, group, Object.keys(values)).map(
      (value) =>
        html`<tr><td>${swatch(valueColor(m.look, group, value))} ${value}</td><td class="num">${values[value] ?? 0}</td><td class="num">${share(values[value] ?? 0, total)}</td></tr>`,
    )}</tbody>
    <tfoot><tr><th scope="row">total</th><td class="num">${total}</td><td class="num">100%</td></tr></tfoot></table>`;
  })}
  </div>
  ${Object.keys(m.cohort.groups).length === 0 ? html`<p class="muted">Nobody yet: DX has confirmed no values.</p>` : ""}
</section>
<section class="panel" aria-labelledby="runs-chart">
  <h2 id="runs-chart">Runs over time</h2>
  <figure><div class="chart" data-chart data-source="runs-data" role="img" aria-label="people applied and rejected, and duration, of the last ${m.recent.length} real runs"></div>
  ${chartData("runs-data", runsChart)}<figcaption>The last ${m.recent.length} real runs (not dry runs, hook runs or status passes) by when they started: people applied and rejected (left axis), duration in seconds (right axis, dashed).</figcaption></figure>
</section>
${Object.entries(m.series.groups).map(([group, values], i) => {
  const order = ordered(m.look, group, Object.keys(values));
  const spec = {
    stacked: true,
    x: days.map((d) => Math.floor(Date.parse(d) / 1000)),
    xLabel: "day (UTC)",
    xFormat: "date",
    yLabel: "people",
    series: order.map((label) => ({
      label,
      color: valueColor(m.look, group, label),
      values: (values[label] ?? []).slice(from),
    })),
  };
  return html`<section class="panel" aria-labelledby="cohort-${i}">
  <h2 id="cohort-${i}">${group}: ${days.length === m.series.dates.length ? `the last ${days.length} days` : `since ${days[0]?.slice(0, 10) ?? "today"}`}</h2>
  <figure><div class="chart" data-chart data-source="cohort-${i}-data" role="img" aria-label="people holding each ${group} value per day"></div>
  ${chartData(`cohort-${i}-data`, spec)}<figcaption>People holding each value at the end of each day (UTC), stacked, from the first day coder-dx recorded.</figcaption></figure>
  <details><summary>The numbers</summary><table><thead><tr><th scope="col">day</th>${order.map((v) => html`<th scope="col" class="num">${v}</th>`)}</tr></thead>
  <tbody>${days.map((d, k) => html`<tr><td>${d.slice(0, 10)}</td>${order.map((v) => html`<td class="num">${values[v]?.[from + k] ?? 0}</td>`)}</tr>`)}</tbody></table></details>
</section>`;
})}`;
}
