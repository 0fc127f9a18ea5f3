import { CHANGE_OUTCOMES, type ChangeRow, displayOrders, inOrder } from "@coder-dx/core";
import { sqliteSchema } from "@coder-dx/storage";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { listing, parseOptions } from "../options";
import { formatChange, formatTable, formatValues, recordsAsCsv } from "../output";
import { formatTime, type Paint, statusStyle } from "../words";

export const AuditOptions = listing({
  email: z.string().optional(),
  run: z.string().regex(/^\d+$/, "must be a run id (a number; see coder-dx runs list)").optional(),
  outcome: z.enum(CHANGE_OUTCOMES).optional(),
});

/**
 * The audit rows as CSV: the table's columns (before, after and evidence as JSON), then one
 * flat column per owned group before and after, and the hours, for spreadsheets. `groups` in
 * the config's order; groups only the rows name come after.
 */
export function changesAsCsv(rows: ChangeRow[], groups: readonly string[] = []): string {
  const named = rows.flatMap((r) => [
    ...Object.keys(r.before ?? {}),
    ...Object.keys(r.after ?? {}),
  ]);
  const flat = inOrder(
    rows.some((r) => r.kind === "attributes") ? [...groups, ...named] : named,
    groups,
  ).filter((group) => named.includes(group));
  return recordsAsCsv(sqliteSchema.changes, rows, [
    ...flat.flatMap((group) => [
      { header: `${group} before`, value: (r: ChangeRow) => r.before?.[group] ?? null },
      { header: `${group} after`, value: (r: ChangeRow) => r.after?.[group] ?? null },
    ]),
    { header: "hours", value: (r: ChangeRow) => r.evidence?.hours ?? null },
  ]);
}

export function changesTable(rows: ChangeRow[], paint: Paint = (_, text) => text): string {
  return formatTable(
    ["ID", "AT", "RUN", "EMAIL", "KIND", "ACTION", "OUTCOME", "CHANGE", "TRIES"],
    rows.map((r) => [
      r.id,
      formatTime(r.at),
      r.runId,
      r.email,
      r.kind,
      r.action,
      // A planned row was never sent: a dry run's, or a halted run's.
      paint(statusStyle(r.outcome), r.outcome === "planned" ? "planned, not sent" : r.outcome) +
        (r.error ? ` (${r.error.code})` : ""),
      r.after ? formatChange(r.before, r.after) : (r.note ?? formatValues(r.after)),
      r.attempts,
    ]),
  );
}

export function registerAudit(program: Command, cli: Cli): void {
  program
    .command("audit")
    .description("audit rows (per-user changes), newest first")
    .option("--email <email>", "one person's rows")
    .option("--run <id>", "one run's rows")
    .option("--outcome <outcome>", CHANGE_OUTCOMES.join(" | "))
    .option("--since <time>", "rows at or after this time; a date alone is its 00:00 UTC")
    .option("--until <time>", "rows before this time; a date alone includes that whole UTC day")
    .option("--limit <n>", "how many", "50")
    .option("--cursor <cursor>", "the next page: the cursor the previous page printed")
    .option("--json", "print as JSON")
    .option("--csv", "print as CSV")
    .action((raw) => {
      const options = parseOptions(AuditOptions, raw);
      const settings = loadSettings(cli, false);
      const page = openStore(settings, { readonly: true }).listChanges({
        email: options.email,
        runId: options.run,
        outcome: options.outcome,
        since: options.since,
        until: options.until,
        limit: options.limit,
        cursor: options.cursor,
      });
      // On stderr, so a CSV or JSON document on stdout stays whole.
      const more = () => {
        if (page.nextCursor) {
          cli.out.note(
            `More rows exist: add --cursor ${page.nextCursor} for the next ${options.limit}.`,
          );
        }
      };
      if (options.json) return cli.out.json({ changes: page.items, nextCursor: page.nextCursor });
      if (options.csv) {
        cli.out.text(changesAsCsv(page.items, Object.keys(displayOrders(settings.config))));
        return more();
      }
      if (page.items.length === 0) return cli.out.line("No audit rows match.");
      cli.out.line(changesTable(page.items, cli.paint));
      more();
    });
}
