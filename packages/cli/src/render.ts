import type { Plan, PlanEntry, Run } from "@coder-dx/core";
import { formatChange, formatDuration, formatTable } from "./output";
import { type Paint, plural, statusStyle } from "./words";

/**
 * A run in two lines: what happened (a dry run says what it would have written), and its
 * counts; a halt or an error says why, once.
 */
export function runSummary(run: Run, paint: Paint = (_, text) => text): string {
  const c = run.counts;
  const took = formatDuration(run.startedAt, run.finishedAt);
  const status = paint(statusStyle(run.status), run.status);
  const what = run.dryRun
    ? ` · would write ${plural(c.changed, "person", "people")}; nothing was written to DX`
    : c.applied > 0 || c.changed > 0
      ? ` · ${plural(c.applied, "person", "people")} written`
      : "";
  const why =
    run.error === null
      ? ""
      : run.status === "halted"
        ? `\n  halted by a brake: ${run.error.message}`
        : `\n  ${run.error.message} (${run.error.code})`;
  const counts = `users ${c.users} · unchanged ${c.unchanged} · changed ${c.changed} · applied ${c.applied} · rejected ${c.rejected} · invalid ${c.invalid} · excluded ${c.excluded} · merged ${c.merged} · unmatched ${c.unmatched} · drift ${c.drift}`;
  return `Run ${run.id}${run.dryRun ? " (dry run)" : ""} ${status} in ${took}${what}${why}\n  ${counts}`;
}

const LIMIT = 25;

export function planTable(entries: PlanEntry[], limit = LIMIT): string {
  const rows = entries
    .slice(0, limit)
    .map((e) => [
      e.email,
      e.action + (e.drift ? " (drift)" : ""),
      e.attributes
        ? formatChange(e.attributes.before, e.attributes.after)
        : e.properties
          ? formatChange(e.properties.before, e.properties.after)
          : (e.note ?? ""),
    ]);
  const more =
    entries.length > limit ? `\n… and ${entries.length - limit} more (--json shows all)` : "";
  return formatTable(["EMAIL", "ACTION", "CHANGE"], rows) + more;
}

/** The human plan: what would be written, and who is not written and why. */
export function renderPlan(plan: Plan, halts: { message: string }[]): string {
  const writes = plan.entries.filter((e) => e.attributes || e.properties);
  const skipped = plan.entries.filter(
    (e) => e.action === "invalid" || e.action === "excluded" || e.action === "drift",
  );
  const c = plan.counts;
  const parts = [
    `Plan for ${c.users} (Coder accounts and DX people without one): ${writes.length} to write (${c.removals} retire/clear) · ${c.unchanged} unchanged · ${c.invalid} invalid · ${c.excluded} excluded · ${c.merged} merged · ${c.drift} drift · ${c.unmatched} unmatched (waiting to recheck)`,
  ];
  if (writes.length > 0) parts.push("", planTable(writes));
  if (skipped.length > 0) parts.push("", "Not written:", planTable(skipped));
  for (const halt of halts)
    parts.push("", `Brake: ${halt.message}. A sync would halt; --force applies anyway.`);
  return parts.join("\n");
}
