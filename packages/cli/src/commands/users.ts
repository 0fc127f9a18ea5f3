import { CoderDxError, parseAt, stateAt } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import { type Cli, loadSettings, openStore } from "../context";
import { parseOptions } from "../options";
import { formatValues } from "../output";
import { changesTable } from "./audit";

const UsersShowOptions = z.object({
  at: z
    .string()
    .refine((v) => parseAt(v) !== null, "must be a date (2026-11-20) or an ISO 8601 time")
    .optional(),
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
    .action((rawEmail: string, raw) => {
      const options = parseOptions(UsersShowOptions, raw);
      const email = rawEmail.trim().toLowerCase();
      const store = openStore(loadSettings(cli, false));
      const history = store.listChanges({ email, limit: 1000 }).items;
      const current = store.getUserState(email);
      if (!current && history.length === 0)
        throw new CoderDxError("not_found", `coder-dx has no record of ${email}`);
      const at = options.at ? (parseAt(options.at) as string) : null;
      const state = at
        ? { ...stateAt(history, at), coderUserId: current?.coderUserId ?? null }
        : {
            attributes: current?.attributes ?? {},
            updatedAt: current?.updatedAt ?? null,
            coderUserId: current?.coderUserId ?? null,
          };
      const shown = at ? history.filter((row) => row.at <= at) : history;
      const user = {
        email,
        coderUserId: state.coderUserId,
        attributes: state.attributes,
        updatedAt: state.updatedAt,
      };
      if (options.json) return cli.out.json({ user, history: shown });
      cli.out.line(`${email}${at ? ` as of ${at}` : ""}`);
      cli.out.line(`  attributes: ${formatValues(user.attributes)}`);
      cli.out.line(
        `  last confirmed by DX: ${user.updatedAt ?? "never"} · Coder user id: ${user.coderUserId ?? "-"}`,
      );
      cli.out.line("");
      cli.out.line(shown.length > 0 ? changesTable(shown) : "No audit rows.");
    });
}
