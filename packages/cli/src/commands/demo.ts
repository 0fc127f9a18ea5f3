import type { Command } from "commander";
import { z } from "zod";
import type { Cli } from "../context";
import { parseOptions } from "../options";

export const DemoOptions = z.object({
  people: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(20, "must be at least 20 (the demo changes several people of each kind)")
    .max(100_000, "must be at most 100,000"),
  keep: z.boolean().default(false),
});

export function registerDemo(program: Command, cli: Cli): void {
  program
    .command("demo")
    .description(
      "run the whole story against built-in Coder and DX simulators (database: ./coder-dx-demo.db, replaced)",
    )
    .option("--people <n>", "how many people to seed", "300")
    .option("--keep", "keep the simulators running afterwards, to try the other commands on them")
    .action(async (raw) => {
      const options = parseOptions(DemoOptions, raw);
      const { runDemo } = await import("./demo-run");
      await runDemo(cli, options);
    });
}
