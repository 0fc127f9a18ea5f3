import { CHANGE_OUTCOMES, type ChangeRow, type Run } from "@coder-dx/core";
import { html, raw } from "hono/html";
import {
  changeText,
  countsLine,
  duration,
  type Html,
  note,
  runBadges,
  time,
  writesLine,
} from "./look";

export function runsPage(runs: Run[], nextCursor: string | null, actions: Html): Html {
  return html`<h1>Runs</h1>
${actions}
<table>
<thead><tr><th scope="col">run</th><th scope="col">status</th><th scope="col">trigger</th><th scope="col">started</th><th scope="col">wrote</th><th scope="col" class="num">people</th><th scope="col" class="num">took</th></tr></thead>
<tbody>${runs.map(
    (
      r,
    ) => html`<tr><td><a href="/runs/${r.id}">${r.id}</a></td><td>${runBadges(r)}</td><td>${r.trigger}</td><td class="when">${time(r.startedAt)}</td>
  <td>${r.finishedAt ? writesLine(r) : "running"}</td><td class="num">${r.counts.users}</td><td class="num">${duration(r)}</td></tr>`,
  )}</tbody>
</table>
${runs.length === 0 ? html`<p class="muted">No runs yet.</p>` : ""}
${nextCursor ? html`<p><a href="/runs?cursor=${encodeURIComponent(nextCursor)}">Older runs</a></p>` : ""}`;
}

/** What became of a row, in words: a dry or halted run's planned row was never sent. */
function outcomeText(row: ChangeRow): string {
  return row.outcome === "planned" ? "would write" : row.outcome;
}

/**
 * A run's (or a person's) rows: who, what changes (only the groups that change), what became
 * of it, and why. `showRun` adds the run (a person's timeline spans runs); `showEmail` the person.
 */
export function changesTable(
  rows: ChangeRow[],
  columns: { run?: boolean; email?: boolean } = { email: true },
): Html {
  return html`<table class="changes">
<thead><tr><th scope="col">at</th>${columns.email ? html`<th scope="col">person</th>` : ""}<th scope="col">change</th><th scope="col">outcome</th><th scope="col">why</th>${columns.run ? html`<th scope="col">run</th>` : ""}</tr></thead>
<tbody>${rows.map(
    (
      r,
    ) => html`<tr class="${r.outcome === "planned" ? "planned" : ""}"><td class="when">${time(r.at)}</td>${columns.email ? html`<td><a href="/people?email=${encodeURIComponent(r.email)}">${r.email}</a></td>` : ""}
  <td>${r.after ? changeText(r.before, r.after) : "—"}</td><td>${outcomeText(r)}</td><td class="note">${note(r.error?.message ?? r.note)}</td>${columns.run ? html`<td><a href="/runs/${r.runId}">${r.runId}</a></td>` : ""}</tr>`,
  )}</tbody></table>`;
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
  return html`<h1>Run ${run.id} ${runBadges(run)}</h1>
${run.status === "running" ? html`<p class="notice" role="status">This run is in progress: the page refreshes every 2 seconds until it ends.</p>` : ""}
<div class="panel">
<p class="lead">${run.finishedAt ? writesLine(run) : "running"}</p>
<p>${run.trigger} · started ${time(run.startedAt)} · ${duration(run)}</p>
<p class="muted">${countsLine(run)}</p>
${run.error ? html`<p><strong>${run.status === "halted" ? "Halted" : "Error"}</strong>: ${run.error.message}${run.status === "halted" ? "" : html` <span class="muted">(${run.error.code})</span>`}</p>` : ""}
${settings.length > 0 ? html`<p>Governed by ${settings.map((s, i) => html`${i > 0 ? ", " : ""}<code>${s}</code>`)} in the config; an admin can force the run past the brake.</p>` : ""}
</div>
<h2>Changes</h2>
<form method="get" action="/runs/${run.id}" class="panel">
  <label for="outcome">Outcome</label>
  <select id="outcome" name="outcome"><option value="">any</option>${CHANGE_OUTCOMES.map((o) => html`<option value="${o}" ${filters.outcome === o ? raw("selected") : ""}>${o}</option>`)}</select>
  <label for="email">Email</label><input id="email" name="email" type="search" value="${filters.email ?? ""}">
  <button class="primary" type="submit">Filter</button>
</form>
${changesTable(changes)}
${changes.length === 0 ? html`<p class="muted">No changes match.</p>` : ""}
${nextCursor ? html`<p><a href="/runs/${run.id}?${query(nextCursor)}">More changes</a></p>` : ""}`;
}
