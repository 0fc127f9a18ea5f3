import type { Command } from "commander";
import { z } from "zod";
import type { Cli } from "../context";
import { parseOptions } from "../options";

export const ServeOptions = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  schedule: z.string().min(1).optional(),
});

export function registerServe(program: Command, cli: Cli): void {
  program
    .command("serve")
    .description("run the HTTP API (and scheduled runs with --schedule)")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", "8080")
    .option(
      "--schedule <cron>",
      'run on this cron schedule, e.g. "0 * * * *" (or server.schedule in the config)',
    )
    .action(async (raw) => {
      const { serveApi } = await import("./serve-api");
      await serveApi(cli, parseOptions(ServeOptions, raw));
    });
}
