import { CHANGE_OUTCOMES, type ChangeRow } from "@coder-dx/core";
import { sqliteSchema } from "@coder-dx/storage";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { listing, parseOptions } from "../options";
import { formatChange, formatTable, formatValues, recordsAsCsv } from "../output";

export const AuditOptions = listing({
  email: z.string().optional(),
  run: z.string().regex(/^\d+$/, "must be a run id (a number; see coder-dx runs list)").optional(),
  outcome: z.enum(CHANGE_OUTCOMES).optional(),
});

export function changesAsCsv(rows: ChangeRow[]): string {
  return recordsAsCsv(sqliteSchema.changes, rows);
}

export function changesTable(rows: ChangeRow[]): string {
  return formatTable(
    ["ID", "AT", "RUN", "EMAIL", "KIND", "ACTION", "OUTCOME", "CHANGE", "TRIES"],
    rows.map((r) => [
      r.id,
      r.at.replace("T", " ").slice(0, 19),
      r.runId,
      r.email,
      r.kind,
      r.action,
      r.outcome + (r.error ? ` (${r.error.code})` : ""),
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
      const page = openStore(loadSettings(cli, false), { readonly: true }).listChanges({
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
        cli.out.text(changesAsCsv(page.items));
        return more();
      }
      if (page.items.length === 0) return cli.out.line("No audit rows match.");
      cli.out.line(changesTable(page.items));
      more();
    });
}
