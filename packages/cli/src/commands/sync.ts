import type { Command } from "commander";
import { z } from "zod";
import type { Cli } from "../context";
import { collect, parseOptions } from "../options";
import { planTable, runSummary } from "../render";
import { runFromCli } from "../run-sync-command";

const SyncOptions = z
  .object({
    dryRun: z.boolean().default(false),
    status: z.boolean().default(false),
    force: z.boolean().default(false),
    email: z.array(z.email({ error: "must be an email address" })).default([]),
    json: z.boolean().default(false),
  })
  .refine((o) => !(o.status && o.email.length > 0), {
    message: "a status pass covers everyone: it takes no --email",
    path: ["status"],
  });

export function registerSync(program: Command, cli: Cli): void {
  program
    .command("sync")
    .description("read Coder, plan, and push what changed to DX (one run)")
    .option("--dry-run", "plan and record, but write nothing to DX")
    .option(
      "--status",
      "a status-only pass: Coder's users and nothing else (no usage, no DX listing); writes status changes",
    )
    .option("--force", "apply even when a brake would halt the run")
    .option("--email <email>", "limit the run to this person (repeatable)", collect)
    .option("--json", "print the run as one JSON document")
    .action(async (raw) => {
      const options = parseOptions(SyncOptions, raw);
      const { run, plan, exitCode } = await runFromCli(cli, {
        ...(options.status ? { trigger: "status" as const } : {}),
        dryRun: options.dryRun,
        force: options.force,
        emails: options.email,
      });
      if (plan && options.email.length > 0) {
        const planned = new Set(plan.entries.map((e) => e.email));
        const missing = options.email.filter((e) => !planned.has(e.trim().toLowerCase()));
        if (missing.length > 0) {
          cli.out.note(
            `coder-dx: not found in Coder, DX or coder-dx's records, so not synced: ${missing.join(", ")}`,
          );
        }
      }
      if (options.json) {
        cli.out.json({ run });
      } else {
        cli.out.line(runSummary(run, cli.paint));
        const writes = plan?.entries.filter((e) => e.attributes || e.properties) ?? [];
        if (writes.length > 0) cli.out.line(`\n${planTable(writes)}`);
      }
      process.exitCode = exitCode;
    });
}
