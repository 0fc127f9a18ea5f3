import type { Command } from "commander";
import type { Cli } from "../context";

export function registerDemo(program: Command, cli: Cli): void {
  program
    .command("demo")
    .description(
      "run the whole story against built-in Coder and DX simulators (database: ./coder-dx-demo.db, replaced)",
    )
    .option("--people <n>", "how many people to seed", "300")
    .action(async (raw: { people: string }) => {
      const { runDemo } = await import("./demo-run");
      await runDemo(cli, raw);
    });
}
