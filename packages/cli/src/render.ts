import type { Plan, PlanEntry, Run } from "@coder-dx/core";
import { formatChange, formatDuration, formatTable } from "./output";

export function runSummary(run: Run): string {
  const c = run.counts;
  const head = `Run ${run.id} ${run.status}${run.dryRun ? " (dry run: nothing written to DX)" : ""} in ${formatDuration(run.startedAt, run.finishedAt)}`;
  const counts = `users ${c.users} · unchanged ${c.unchanged} · changed ${c.changed} · applied ${c.applied} · rejected ${c.rejected} · invalid ${c.invalid} · excluded ${c.excluded} · merged ${c.merged} · unmatched ${c.unmatched} · drift ${c.drift}`;
  const error = run.error
    ? `\n${run.status === "halted" ? "halted" : "error"} (${run.error.code}): ${run.error.message}`
    : "";
  return `${head}\n  ${counts}${error}`;
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
