import { inOrder, type UserReport, type UserState } from "@coder-dx/core";
import { html, raw } from "hono/html";
import { type GroupLook, type Html, swatch, time, valueColor } from "./look";
import { changesTable } from "./runs-pages";

export interface PeopleModel {
  /** What was typed: part of an email or a username. */
  search: string;
  /** `group=value`, or "" for everyone. */
  filter: string;
  people: readonly UserState[];
  nextCursor: string | null;
  look: GroupLook;
  /** An exact email was asked for and nobody has it: these are the nearest matches. */
  notFound?: string | undefined;
}

/** `group=value` options, group by group in the config's order. */
function filterOptions(look: GroupLook, chosen: string): Html {
  return html`${Object.entries(look.orders).map(
    ([group, values]) =>
      html`<optgroup label="${group}">${values.map((value) => {
        const key = `${group}=${value}`;
        return html`<option value="${key}" ${chosen === key ? raw("selected") : ""}>${value}</option>`;
      })}</optgroup>`,
  )}`;
}

/** Everyone coder-dx tracks: find by part of an email or username, filter by a value, page. */
export function peoplePage(m: PeopleModel): Html {
  const groups = Object.keys(m.look.orders);
  const more = new URLSearchParams({
    ...(m.search ? { q: m.search } : {}),
    ...(m.filter ? { filter: m.filter } : {}),
    cursor: m.nextCursor ?? "",
  }).toString();
  return html`<h1>People</h1>
<form method="get" action="/people" class="panel" role="search">
  <label for="q">Find</label><input id="q" name="q" type="search" value="${m.search}" placeholder="part of an email or a username" size="32">
  <label for="filter">Holding</label>
  <select id="filter" name="filter"><option value="">any value</option>${filterOptions(m.look, m.filter)}</select>
  <button class="primary" type="submit">Find</button>
</form>
${m.notFound ? html`<p class="notice">coder-dx has no record of ${m.notFound}; people whose email or username contains it:</p>` : ""}
<table>
<thead><tr><th scope="col">person</th><th scope="col">Coder username</th>${groups.map((g) => html`<th scope="col">${g}</th>`)}<th scope="col">confirmed</th></tr></thead>
<tbody>${m.people.map(
    (
      p,
    ) => html`<tr><td><a href="/people?email=${encodeURIComponent(p.email)}">${p.email}</a></td><td>${p.username ?? "—"}</td>
  ${groups.map((g) => {
    const value = p.attributes[g];
    return html`<td>${value ? html`${swatch(valueColor(m.look, g, value))} ${value}` : "—"}</td>`;
  })}<td class="when">${time(p.updatedAt)}</td></tr>`,
  )}</tbody>
</table>
${m.people.length === 0 ? html`<p class="muted">Nobody matches.</p>` : ""}
${m.nextCursor ? html`<p><a href="/people?${more}">More people</a></p>` : ""}`;
}

export interface PersonModel {
  email: string;
  at: string;
  report: UserReport;
  /** Why they hold what they hold (`explainPerson`). */
  why: string | null;
  /** Show the rows dry or halted runs planned (never sent). */
  showPlanned: boolean;
  look: GroupLook;
}

/** One person: what DX holds for them (or held on a date), why, and their timeline. */
export function personPage(m: PersonModel): Html {
  const { report } = m;
  const planned = report.history.filter((r) => r.outcome === "planned").length;
  const history = m.showPlanned
    ? report.history
    : report.history.filter((r) => r.outcome !== "planned");
  const attributes = Object.entries(report.user.attributes);
  const groups = inOrder(
    attributes.map(([g]) => g),
    Object.keys(m.look.orders),
  );
  const toggle = new URLSearchParams({
    email: m.email,
    ...(m.at ? { at: m.at } : {}),
    ...(m.showPlanned ? {} : { planned: "1" }),
  }).toString();
  return html`<h1>${report.user.email}</h1>
<form method="get" action="/people" class="panel">
  <input type="hidden" name="email" value="${m.email}">
  <label for="at">Held on (optional)</label><input id="at" name="at" value="${m.at}" placeholder="2026-11-01">
  <button class="primary" type="submit">Show</button>
  <a href="/people">Find someone else</a>
</form>
<section class="panel" aria-labelledby="held"><h2 id="held">${m.at ? `Held on ${m.at}` : "Attributes now"}</h2>
  <table><tbody>${groups.map((g) => {
    const value = report.user.attributes[g] ?? null;
    return html`<tr><th scope="row">${g}</th><td>${value === null ? "∅ (cleared)" : html`${swatch(valueColor(m.look, g, value))} ${value}`}</td></tr>`;
  })}</tbody></table>
  ${attributes.length === 0 ? html`<p class="muted">Nothing confirmed ${m.at ? "by then" : "yet"}.</p>` : ""}
  ${m.why ? html`<p><strong>Why:</strong> ${m.why}</p>` : ""}
  <p class="muted">Coder user ${report.user.coderUserId ?? "unknown"} · last confirmed by DX ${time(report.user.updatedAt)}</p></section>
<h2>Timeline</h2>
${changesTable(history, { run: true })}
${history.length === 0 ? html`<p class="muted">No writes yet.</p>` : ""}
${
  planned > 0
    ? html`<p class="muted">${m.showPlanned ? "Rows marked “would write” were planned by dry or halted runs and never sent. " : `${planned} ${planned === 1 ? "row" : "rows"} planned by dry or halted runs (never sent) are left out. `}<a href="/people?${toggle}">${m.showPlanned ? "Hide them" : "Show them"}</a></p>`
    : ""
}`;
}
