import { CoderDxError, describeUser, explainPerson, timeParameter } from "@coder-dx/core";
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
      const why = explainPerson({ user, history }, settings.config);
      if (why) cli.out.line(`  why: ${why}`);
      cli.out.line("");
      cli.out.line(history.length > 0 ? changesTable(history, cli.paint) : "No audit rows.");
      if (planned > 0)
        cli.out.line(
          `\n${plural(planned, "row")} planned by dry or halted runs (never sent): ${cli.command(`audit --email ${user.email} --outcome planned`)}`,
        );
    });
}
