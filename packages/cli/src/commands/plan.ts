import { planDigest, preparePlan } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, createSyncDeps, loadSettings } from "../context";
import { parseOptions } from "../options";
import { assertFolderExists, writeOutputFile } from "../output";
import { renderPlan } from "../render";

const PlanOptions = z.object({
  json: z.boolean().default(false),
  out: z.string().min(1).optional(),
});

export function registerPlan(program: Command, cli: Cli): void {
  program
    .command("plan")
    .description("show what a sync would write, without writing or recording anything")
    .option("--json", "print the plan as one JSON document")
    .option("--out <file>", "also write the plan as JSON to this file")
    .action(async (raw) => {
      const options = parseOptions(PlanOptions, raw);
      if (options.out) assertFolderExists(options.out);
      const settings = loadSettings(cli, true);
      const { plan, halts } = await preparePlan(createSyncDeps(cli, settings), {
        config: settings.config,
      });
      const document = { plan: { ...plan, halts, digest: planDigest(plan) } };
      if (options.out) {
        writeOutputFile(options.out, `${JSON.stringify(document, null, 2)}\n`);
        cli.out.note(
          `plan written to ${options.out}; apply exactly this plan with: ${cli.command(`apply ${options.out}`)}`,
        );
      }
      if (options.json) cli.out.json(document);
      else cli.out.line(renderPlan(plan, halts));
    });
}
