import { CoderDxError, describeUser, type Evidence, timeParameter } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { parseOptions } from "../options";
import { formatValues } from "../output";
import { formatTime, plural } from "../words";
import { changesTable } from "./audit";

const UsersShowOptions = z.object({
  at: timeParameter("at").optional(),
  json: z.boolean().default(false),
});

export function registerUsers(program: Command, cli: Cli): void {
  const users = program.command("users").description("what coder-dx pushed for a person");
  users
    .command("show")
    .description("a person's current pushed state and history")
    .argument("<email>", "DX email (any case)")
    .option("--at <date>", "the state on this date (end of that UTC day) or at this time")
    .option("--json", "print as JSON")
    .action((email: string, raw) => {
      const options = parseOptions(UsersShowOptions, raw);
      const settings = loadSettings(cli, false);
      const report = describeUser(openStore(settings, { readonly: true }), email, options.at);
      if (!report)
        throw new CoderDxError(
          "not_found",
          `coder-dx has no record of ${email.trim().toLowerCase()}`,
        );
      if (options.json) return cli.out.json(report);
      const { user } = report;
      // Rows a dry or halted run planned were never sent: they are not this person's history.
      const history = report.history.filter((row) => row.outcome !== "planned");
      const planned = report.history.length - history.length;
      cli.out.line(`${user.email}${options.at ? ` as of ${formatTime(options.at)}` : ""}`);
      cli.out.line(`  attributes: ${formatValues(user.attributes)}`);
      cli.out.line(
        `  last confirmed by DX: ${user.updatedAt ? formatTime(user.updatedAt) : "never"} · Coder user id: ${user.coderUserId ?? "-"}`,
      );
      const { status, usage, frequency } = settings.config.groups;
      const held = user.attributes[status.name];
      const since = history.find(
        (row) => row.outcome === "applied" && row.after?.[status.name] === held,
      );
      if (held === status.values.former || held === status.values.suspended) {
        const what =
          held === status.values.former
            ? "no longer in Coder (deleted, or removed from its listing)"
            : "suspended in Coder";
        cli.out.line(
          `  why: ${held}: ${what}${since ? ` since ${formatTime(since.at)} (run ${since.runId})` : ""}`,
        );
      } else {
        const latest = history.find((row) => row.evidence && row.after);
        if (latest?.evidence && latest.after) {
          const usageGroups = [usage.name, ...(frequency ? [frequency.name] : [])];
          cli.out.line(`  why: ${describeEvidence(latest.after, latest.evidence, usageGroups)}`);
        }
      }
      cli.out.line("");
      cli.out.line(history.length > 0 ? changesTable(history, cli.paint) : "No audit rows.");
      if (planned > 0)
        cli.out.line(
          `\n${plural(planned, "row")} planned by dry or halted runs (never sent): ${cli.command(`audit --email ${user.email} --outcome planned`)}`,
        );
    });
}

/** `Moderate: 22.5 h on 9 days in the 28 days to 2026-11-22` (and any level held). */
export function describeEvidence(
  after: Record<string, string | null>,
  evidence: Evidence,
  usageGroups: readonly string[],
): string {
  const values = usageGroups.map((g) => after[g]).filter((v) => v !== null && v !== undefined);
  const days =
    evidence.activeDays === null
      ? ""
      : ` on ${evidence.activeDays} days (${evidence.activeWeeks} weeks)`;
  const window = evidence.window
    ? ` in the ${evidence.window.days} days to ${evidence.window.end.slice(0, 10)}`
    : "";
  const held = (evidence.held ?? []).map(
    (h) => `; ${h.group} held at ${h.value} until ${h.until.slice(0, 10)} (computed ${h.computed})`,
  );
  return `${values.join(", ")}: ${evidence.hours} h${days}${window}${held.join("")}`;
}
