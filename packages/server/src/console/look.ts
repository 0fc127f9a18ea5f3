import {
  type Config,
  displayOrders,
  humanTime,
  inOrder,
  type Run,
  valueOrders,
} from "@coder-dx/core";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** How the console writes a time: to the second, in UTC, as the CLI does. */
export const time = humanTime;

export function badge(status: string): Html {
  return html`<span class="badge ${status}">${status}</span>`;
}

/** A dry run's badge beside its status, everywhere a run is named. */
export function runBadges(run: Run): Html {
  return html`${badge(run.status)}${run.dryRun ? html` <span class="badge dry">dry run</span>` : ""}`;
}

export function duration(run: Run): string {
  if (!run.finishedAt) return "running";
  const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What a run wrote, or for a dry run what it would have written. */
export function writesLine(run: Run): string {
  const c = run.counts;
  const people = (n: number) => `${n} ${n === 1 ? "person" : "people"}`;
  if (run.dryRun) return `would write ${people(c.changed)}; nothing was written to DX`;
  if (run.status === "halted") return `would write ${people(c.changed)}; halted before any write`;
  return `${people(c.applied)} written${c.rejected > 0 ? ` · ${c.rejected} rejected` : ""}`;
}

export function countsLine(run: Run): string {
  const c = run.counts;
  return `${c.users} people · ${c.changed} changed · ${c.applied} applied · ${c.rejected} rejected · ${c.unmatched} unmatched · ${c.invalid} invalid · ${c.unchanged} unchanged`;
}

/**
 * `Coder usage level: None → Heavy`: only the groups a write changes, `∅` for a value never
 * set, as the CLI's CHANGE column.
 */
export function changeText(
  before: Record<string, string | null> | null,
  after: Record<string, string | null> | null,
): string {
  if (!after) return "—";
  const parts = Object.entries(after)
    .filter(([group, value]) => (before?.[group] ?? null) !== value)
    .map(([group, value]) => `${group}: ${before?.[group] ?? "∅"} → ${value ?? "∅"}`);
  return parts.length > 0
    ? parts.join("; ")
    : Object.entries(after)
        .map(([group, value]) => `${group}: ${value ?? "∅"}`)
        .join("; ");
}

/** A note cut to a readable length; the whole of it on hover. */
export function note(text: string | null, max = 140): Html {
  if (!text) return html``;
  if (text.length <= max) return html`${text}`;
  return html`<span title="${text}">${text.slice(0, max - 1)}…</span>`;
}

/** JSON for a chart, safe inside a <script> element (no `</script>` can close it early). */
export function chartData(id: string, spec: unknown): Html {
  const json = JSON.stringify(spec).replace(/</g, "\\u003c");
  return html`<script type="application/json" id="${id}">${raw(json)}</script>`;
}

/** The console's view of the configured groups: their order, which is status, which are levels. */
export function groupLookOf(config: Config): GroupLook {
  return {
    orders: displayOrders(config),
    status: config.groups.status.name,
    levels: Object.keys(valueOrders(config)),
  };
}

/** The groups as the config orders and colours them (`valueColors`). */
export interface GroupLook {
  /** Each owned group's values, in the group's own order (`displayOrders`). */
  orders: Record<string, string[]>;
  /** The status group's name: its values are coloured by meaning. */
  status: string;
  /** Groups whose values are levels, highest first (usage, frequency). */
  levels: readonly string[];
}

const STATUS_COLORS = ["#1a7f37", "#9a6700", "#b42318", "#6e7781", "#afb8c1"];
const LEVEL_COLORS = ["#0b3d91", "#1f6feb", "#79b8ff", "#afb8c1"];
const OTHER_COLORS = ["#0b57d0", "#8250df", "#0a7ea4", "#bf3989", "#953800", "#1a7f37"];

/**
 * A fixed colour for each value, the same on every page: status by meaning (Active green,
 * Dormant amber, Suspended red, Former user grey), levels from dark (most) to grey (none),
 * other groups by their order.
 */
export function valueColor(look: GroupLook, group: string, value: string): string {
  const order = look.orders[group] ?? [];
  const i = order.indexOf(value);
  if (group === look.status) return STATUS_COLORS[i < 0 ? 4 : Math.min(i, 4)] as string;
  if (look.levels.includes(group)) {
    if (i < 0) return "#afb8c1";
    // The last value (None) is always grey; the others shade from dark to light.
    if (i === order.length - 1) return "#afb8c1";
    return LEVEL_COLORS[Math.min(i, LEVEL_COLORS.length - 2)] as string;
  }
  return OTHER_COLORS[(i < 0 ? order.length : i) % OTHER_COLORS.length] as string;
}

/** A value's colour swatch, for tables beside charts (an SVG: the CSP allows no inline style). */
export function swatch(color: string): Html {
  return html`<svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="${color}"></rect></svg>`;
}

/** `values` in the group's order, then any others alphabetically (core's one rule). */
export function ordered(look: GroupLook, group: string, values: Iterable<string>): string[] {
  return inOrder(values, look.orders[group]);
}

/** The share `n` is of `total`, as a whole percentage. */
export function share(n: number, total: number): string {
  return `${total === 0 ? 0 : Math.round((n / total) * 100)}%`;
}
