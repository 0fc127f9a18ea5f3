import { readFileSync } from "node:fs";
import { CoderDxError } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import type { Cli } from "../context";
import { parseOptions } from "../options";
import { runSummary } from "../render";
import { runFromCli } from "../run-sync-command";

const SavedPlan = z.object({ plan: z.object({ digest: z.string().regex(/^[0-9a-f]{64}$/) }) });

export function registerApply(program: Command, cli: Cli): void {
  program
    .command("apply")
    .description(
      "apply a plan saved with `plan --out FILE`, refusing it if Coder or DX changed since",
    )
    .argument("<file>", "the saved plan")
    .option("--force", "apply even when a brake would halt the run")
    .option("--json", "print the run as one JSON document")
    .action(async (file: string, raw) => {
      const options = parseOptions(
        z.object({ force: z.boolean().default(false), json: z.boolean().default(false) }),
        raw,
      );
      let saved: z.infer<typeof SavedPlan>;
      try {
        saved = SavedPlan.parse(JSON.parse(readFileSync(file, "utf8")));
      } catch (error) {
        throw new CoderDxError(
          "usage_invalid",
          `${file} is not a plan written by coder-dx plan --out: ${(error as Error).message.slice(0, 200)}`,
        );
      }
      const { run, exitCode } = await runFromCli(cli, {
        force: options.force,
        expectedDigest: saved.plan.digest,
      });
      if (options.json) cli.out.json({ run });
      else cli.out.line(runSummary(run, cli.paint));
      process.exitCode = exitCode;
    });
}
