import {
  CoderDxError,
  cohortCounts,
  cohortMovement,
  displayOrders,
  inOrder,
  timeParameter,
  valueOrders,
} from "@coder-dx/core";
import type { Command } from "commander";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { parseOptions } from "../options";
import { formatTable } from "../output";
import { formatTime } from "../words";

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
      const orders = displayOrders(settings.config);
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
          `From ${formatTime(movement.from)} to ${formatTime(movement.to)}, as DX confirmed coder-dx's writes:`,
        );
        for (const [group, g] of Object.entries(movement.groups)) {
          const order = orders[group];
          const to = inOrder(
            Object.values(g.matrix).flatMap((r) => Object.keys(r)),
            order,
          );
          const from = inOrder(Object.keys(g.matrix), order);
          cli.out.line(
            `\n${group}: ${g.up} up · ${g.down} down · ${g.joined} joined · ${g.left} left · ${g.same} same`,
          );
          const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
          cli.out.line(
            formatTable(
              ["FROM \\ TO", ...to, "TOTAL"],
              [
                ...from.map((f) => {
                  const row = to.map((t) => g.matrix[f]?.[t] ?? 0);
                  return [f, ...row, total(row)];
                }),
                [
                  "TOTAL",
                  ...to.map((t) => total(from.map((f) => g.matrix[f]?.[t] ?? 0))),
                  total(from.flatMap((f) => to.map((t) => g.matrix[f]?.[t] ?? 0))),
                ],
              ],
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
      if (rows.length === 0)
        return cli.out.line(`No confirmed writes by ${formatTime(counts.at)}.`);
      cli.out.line(`On ${formatTime(counts.at)}, as DX confirmed coder-dx's writes:`);
      cli.out.line(
        formatTable(
          ["GROUP", "VALUE", "PEOPLE", "SHARE"],
          Object.entries(counts.groups).flatMap(([group, values]) => {
            const total = Object.values(values).reduce((a, b) => a + b, 0);
            const share = (n: number) => `${total === 0 ? 0 : Math.round((n / total) * 100)}%`;
            return [
              ...inOrder(Object.keys(values), orders[group]).map((value) => [
                group,
                value,
                values[value] ?? 0,
                share(values[value] ?? 0),
              ]),
              [group, "total", total, "100%"],
            ];
          }),
        ),
      );
    });
}
