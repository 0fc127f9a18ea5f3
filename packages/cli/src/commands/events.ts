import { EVENT_OUTCOMES, type PlatformxEvent } from "@coder-dx/core";
import { sqliteSchema } from "@coder-dx/storage";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { listing, parseOptions } from "../options";
import { formatTable, recordsAsCsv } from "../output";
import { formatTime, type Paint, statusStyle } from "../words";

export const EventsOptions = listing({
  name: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  outcome: z.enum(EVENT_OUTCOMES).optional(),
});

/** When the event happened, as PlatformX was told (its Unix seconds), readable. */
const happened = (event: PlatformxEvent) =>
  formatTime(new Date(Number(event.timestamp) * 1000).toISOString());

export function eventsTable(
  events: readonly PlatformxEvent[],
  paint: Paint = (_, text) => text,
): string {
  return formatTable(
    ["ID", "HAPPENED", "NAME", "EMAIL", "SOURCE", "OUTCOME", "TRIES", "WHY"],
    events.map((e) => [
      e.id,
      happened(e),
      e.name,
      e.email ?? "—",
      e.source,
      paint(statusStyle(e.outcome), e.outcome),
      e.attempts,
      e.error ? `${e.error.code}: ${e.error.message}` : "",
    ]),
  );
}

export function registerEvents(program: Command, cli: Cli): void {
  program
    .command("events")
    .description("PlatformX events (the outbox), newest first, with what became of each")
    .option("--name <name>", "one event name, e.g. coder.user.suspended")
    .option("--email <email>", "one person's events")
    .option("--outcome <outcome>", EVENT_OUTCOMES.join(" | "))
    .option("--since <time>", "recorded at or after this time; a date alone is its 00:00 UTC")
    .option("--until <time>", "recorded before this time; a date alone includes that whole UTC day")
    .option("--limit <n>", "how many", "50")
    .option("--cursor <cursor>", "the next page: the cursor the previous page printed")
    .option("--json", "print as JSON")
    .option("--csv", "print as CSV")
    .action((raw) => {
      const options = parseOptions(EventsOptions, raw);
      const settings = loadSettings(cli, false);
      const page = openStore(settings, { readonly: true }).listEvents(options);
      const more = () => {
        if (page.nextCursor)
          cli.out.note(
            `More events exist: add --cursor ${page.nextCursor} for the next ${options.limit}.`,
          );
      };
      if (options.json) return cli.out.json({ events: page.items, nextCursor: page.nextCursor });
      if (options.csv) {
        cli.out.text(recordsAsCsv(sqliteSchema.events, page.items));
        return more();
      }
      if (page.items.length === 0)
        return cli.out.line(
          settings.config.platformx.token === null
            ? "No PlatformX events: PlatformX is off (set platformx.token in the config)."
            : "No PlatformX events match.",
        );
      cli.out.line(eventsTable(page.items, cli.paint));
      more();
    });
}
