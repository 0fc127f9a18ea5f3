import { readPeople } from "@coder-dx/core";
import type { Command } from "commander";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { type Cli, createClients, loadSettings } from "../context";
import { parseOptions } from "../options";

const ExportOptions = z
  .object({
    format: z.enum(["csv", "json"]).optional(),
    csv: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .refine((o) => [o.format !== undefined, o.csv, o.json].filter(Boolean).length <= 1, {
    message: "choose one of --csv, --json and --format",
    path: ["json"],
  });

/**
 * The CSV's columns as people read them, the same style as the DX attribute columns beside
 * them (`Coder usage level`); --json keeps its keys.
 */
const CSV_HEADERS: Record<string, string> = {
  email: "Email",
  usernames: "Coder usernames",
  name: "Name",
  status: "Coder account status",
  active_hours: "Active hours",
  active_days: "Active days",
  active_weeks: "Active weeks",
};

export function registerExport(program: Command, cli: Cli): void {
  program
    .command("export")
    .description("the people in Coder with their computed DX attributes (RFC 4180 CSV or JSON)")
    .option("--csv", "print as CSV (the default)")
    .option("--json", "print as JSON")
    .option("--format <format>", "csv | json (as --csv or --json)")
    .action(async (raw) => {
      const options = parseOptions(ExportOptions, raw);
      const settings = loadSettings(cli, true);
      const { coder } = createClients(settings, cli.env);
      const people = await readPeople(coder, settings.config, new Date());
      const groups = Object.keys(people.desired[0]?.attributes ?? {});
      // Active days and weeks are read only when a group needs them (frequency, day-based levels).
      const days = people.desired.some((p) => p.evidence.activeDays !== null);
      const rows = people.desired.map((p) => ({
        email: p.email,
        usernames: p.usernames.join(" "),
        name: p.name,
        status: p.status,
        active_hours: Math.round(p.activeHours * 10) / 10,
        ...(days
          ? { active_days: p.evidence.activeDays, active_weeks: p.evidence.activeWeeks }
          : {}),
        ...p.attributes,
      }));
      if (options.json || options.format === "json") return cli.out.json({ users: rows });
      cli.out.text(
        stringify(rows, {
          header: true,
          columns: [
            "email",
            "usernames",
            "name",
            "status",
            "active_hours",
            ...(days ? ["active_days", "active_weeks"] : []),
            ...groups,
          ].map((key) => ({ key, header: CSV_HEADERS[key] ?? key })),
          record_delimiter: "windows",
        }),
      );
      cli.out.note(
        `${rows.length} people exported (${people.excluded.length} excluded, ${people.invalid.length} without a usable email)`,
      );
    });
}
