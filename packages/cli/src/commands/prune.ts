import { timeParameter } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { parseOptions } from "../options";

const PruneOptions = z.object({
  before: timeParameter("since"),
  json: z.boolean().default(false),
});

export function registerPrune(program: Command, cli: Cli): void {
  program
    .command("prune")
    .description(
      "delete audit rows, sent notifications, Coder's handled notifications, settled PlatformX events and finished runs from before a date",
    )
    .requiredOption("--before <date>", "delete what is older than this (a date is its 00:00 UTC)")
    .option("--json", "print what was deleted as JSON")
    .action((raw) => {
      const options = parseOptions(PruneOptions, raw);
      const store = openStore(loadSettings(cli, false));
      const pruned = store.prune(options.before);
      store.close();
      if (options.json) return cli.out.json({ before: options.before, pruned });
      cli.out.line(
        `Deleted ${pruned.changes} audit rows, ${pruned.deliveries} notifications sent, ${pruned.notifications} notifications from Coder, ${pruned.events} PlatformX events and ${pruned.runs} runs from before ${options.before}.`,
      );
      cli.out.line(
        "Kept: pending writes, Coder's notifications still waiting, PlatformX events not yet sent, every person's pushed state, and the runs the brakes and /metrics read.",
      );
    });
}
