import {
  CoderDxError,
  cohortCounts,
  cohortMovement,
  timeParameter,
  valueOrders,
} from "@coder-dx/core";
import type { Command } from "commander";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { parseOptions } from "../options";
import { formatTable } from "../output";

const ReportOptions = z
  .object({
    at: timeParameter("at").optional(),
    from: timeParameter("at").optional(),
    to: timeParameter("at").optional(),
    json: z.boolean().default(false),
    csv: z.boolean().default(false),
  })
  .refine((o) => (o.from === undefined) === (o.to === undefined), {
    message: "give --from and --to together",
    path: ["from"],
  })
  .refine((o) => !(o.at && o.from), { message: "choose --at or --from/--to", path: ["at"] })
  .refine((o) => !(o.json && o.csv), { message: "choose one of --json and --csv", path: ["json"] });

export function registerReport(program: Command, cli: Cli): void {
  program
    .command("report")
    .description("how many people hold each value on a date, or who moved between two dates")
    .option("--at <date>", "the counts on this date (end of that UTC day); default now")
    .option("--from <date>", "movements from this date (end of that UTC day)...")
    .option("--to <date>", "...to this one")
    .option("--json", "print as JSON")
    .option("--csv", "print as CSV")
    .action((raw) => {
      const options = parseOptions(ReportOptions, raw);
      const settings = loadSettings(cli, false);
      const store = openStore(settings, { readonly: true });
      if (options.from && options.to) {
        if (options.from > options.to) {
          throw new CoderDxError("usage_invalid", "--from must not be after --to");
        }
        const movement = cohortMovement(
          store,
          { from: options.from, to: options.to },
          valueOrders(settings.config),
        );
        if (options.json) return cli.out.json({ movement });
        const rows = Object.entries(movement.groups).flatMap(([group, g]) =>
          Object.entries(g.matrix).flatMap(([from, tos]) =>
            Object.entries(tos).map(([to, people]) => [group, from, to, people] as const),
          ),
        );
        if (options.csv) {
          return cli.out.text(
            stringify(rows as unknown as string[][], {
              header: true,
              columns: ["group", "from", "to", "people"],
              record_delimiter: "windows",
            }),
          );
        }
        cli.out.line(
          `From ${movement.from} to ${movement.to} (UTC), as DX confirmed coder-dx's writes:`,
        );
        for (const [group, g] of Object.entries(movement.groups)) {
          const to = [...new Set(Object.values(g.matrix).flatMap((r) => Object.keys(r)))].sort();
          cli.out.line(
            `\n${group}: ${g.up} up · ${g.down} down · ${g.joined} joined · ${g.left} left · ${g.same} same`,
          );
          cli.out.line(
            formatTable(
              ["FROM \\ TO", ...to],
              Object.entries(g.matrix).map(([from, r]) => [from, ...to.map((t) => r[t] ?? 0)]),
            ),
          );
        }
        return;
      }
      const counts = cohortCounts(store, options.at ?? new Date().toISOString());
      if (options.json) return cli.out.json({ report: counts });
      const rows = Object.entries(counts.groups).flatMap(([group, values]) =>
        Object.entries(values).map(([value, people]) => [group, value, people] as const),
      );
      if (options.csv) {
        return cli.out.text(
          stringify(rows as unknown as string[][], {
            header: true,
            columns: ["group", "value", "people"],
            record_delimiter: "windows",
          }),
        );
      }
      if (rows.length === 0) return cli.out.line(`No confirmed writes by ${counts.at}.`);
      cli.out.line(`On ${counts.at} (UTC), as DX confirmed coder-dx's writes:`);
      cli.out.line(
        formatTable(
          ["GROUP", "VALUE", "PEOPLE"],
          rows.map((r) => [...r]),
        ),
      );
    });
}
