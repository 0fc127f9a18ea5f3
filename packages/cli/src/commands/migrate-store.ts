import { CoderDxError, isPostgresUrl } from "@coder-dx/core";
import {
  copySqliteToPostgres,
  describePostgresUrl,
  openDatabase,
  PgConnection,
} from "@coder-dx/storage";
import type { Command } from "commander";
import { z } from "zod";
import type { Cli } from "../context";
import { parseOptions } from "../options";

const MigrateOptions = z.object({
  from: z.string().min(1),
  to: z.string().refine(isPostgresUrl, "must be a postgres:// or postgresql:// URL"),
  json: z.boolean().default(false),
});

/** What the copy's tables hold, in words; a table not named here is shown by its name. */
const LABELS: Record<string, string> = {
  changes: "audit rows",
  adoptions: "adopted values",
  deliveries: "notifications",
};

export function registerMigrateStore(program: Command, cli: Cli): void {
  program
    .command("migrate-store")
    .description("copy a SQLite database's runs, audit rows and states into an empty Postgres one")
    .requiredOption("--from <path>", "the SQLite database (coder-dx.db)")
    .requiredOption("--to <url>", "the Postgres database (postgres://user:password@host:port/db)")
    .option("--json", "print what was copied as JSON")
    .action((raw) => {
      const options = parseOptions(MigrateOptions, raw);
      const password = URL.canParse(options.to) ? new URL(options.to).password : "";
      if (password) cli.redactor.add(decodeURIComponent(password));
      const source = openDatabase(options.from, { readonly: true });
      let target: PgConnection | null = null;
      try {
        target = new PgConnection(options.to);
        const copied = copySqliteToPostgres(source, target);
        const where = describePostgresUrl(options.to);
        if (options.json) return cli.out.json({ from: options.from, to: where, copied });
        const parts = Object.entries(copied).map(([table, n]) => `${n} ${LABELS[table] ?? table}`);
        const list = `${parts.slice(0, -1).join(", ")}${parts.length > 1 ? " and " : ""}${parts.at(-1) ?? "nothing"}`;
        cli.out.line(`Copied ${list} from ${options.from} to ${where}.`);
        cli.out.note(`Point coder-dx at it: export CODER_DX_DB='${where}' (with its password).`);
      } catch (error) {
        if (error instanceof CoderDxError) throw error;
        throw new CoderDxError("store_failed", (error as Error).message);
      } finally {
        target?.close();
        source.$client.close();
      }
    });
}
