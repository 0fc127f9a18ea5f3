import { CoderDxError } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { parseOptions } from "../options";
import { formatDuration, formatTable } from "../output";
import { runSummary } from "../render";
import { formatTime, plural, statusStyle } from "../words";

const Limit = z.coerce.number().int().min(1).max(1000);

export function registerRuns(program: Command, cli: Cli): void {
  const runs = program.command("runs").description("past runs");
  runs
    .command("list")
    .description("recent runs, newest first")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print as JSON")
    .action((raw) => {
      const options = parseOptions(
        z.object({ limit: Limit, json: z.boolean().default(false) }),
        raw,
      );
      const page = openStore(loadSettings(cli, false), { readonly: true }).listRuns({
        limit: options.limit,
      });
      if (options.json) return cli.out.json({ runs: page.items, nextCursor: page.nextCursor });
      if (page.items.length === 0)
        return cli.out.line(`No runs yet. Start one with: ${cli.command("sync")}`);
      cli.out.line(
        formatTable(
          [
            "ID",
            "STATUS",
            "TRIGGER",
            "DRY RUN",
            "STARTED",
            "TOOK",
            "USERS",
            "CHANGED",
            "APPLIED",
            "REJECTED",
            "UNMATCHED",
          ],
          page.items.map((r) => [
            r.id,
            cli.paint(statusStyle(r.status), r.status),
            r.trigger,
            r.dryRun ? "yes" : "no",
            formatTime(r.startedAt),
            formatDuration(r.startedAt, r.finishedAt),
            r.counts.users,
            r.counts.changed,
            r.counts.applied,
            r.counts.rejected,
            r.counts.unmatched,
          ]),
        ),
      );
    });
  runs
    .command("show")
    .description("one run")
    .argument("<id>", "run id")
    .option("--json", "print as JSON")
    .action((id: string, raw) => {
      const options = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
      if (!/^\d+$/.test(id)) {
        throw new CoderDxError(
          "usage_invalid",
          `run id "${id}" is not a number (see ${cli.command("runs list")})`,
        );
      }
      const store = openStore(loadSettings(cli, false), { readonly: true });
      const run = store.getRun(id);
      if (!run) throw new CoderDxError("not_found", `no run with id ${id}`);
      const deliveries = store.listDeliveries(id);
      if (options.json) return cli.out.json({ run, deliveries });
      cli.out.line(runSummary(run, cli.paint));
      cli.out.line(
        `  trigger ${run.trigger} · started ${formatTime(run.startedAt)} · finished ${formatTime(run.finishedAt)}`,
      );
      for (const d of deliveries) {
        cli.out.line(
          `  notified ${d.target} (${d.event}): ${d.outcome}${d.httpStatus ? ` HTTP ${d.httpStatus}` : ""}, ${plural(d.attempts, "attempt")}${d.error ? ` — ${d.error.message}` : ""}`,
        );
      }
      cli.out.line(`  its changes: ${cli.command(`audit --run ${run.id}`)}`);
    });
}
