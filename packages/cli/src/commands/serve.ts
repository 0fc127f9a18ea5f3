import type { Command } from "commander";
import type { Cli } from "../context";

export function registerServe(program: Command, cli: Cli): void {
  program
    .command("serve")
    .description("run the HTTP API")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", "8080")
    .action(async (raw: { host: string; port: string }) => {
      const { serveApi } = await import("./serve-api");
      await serveApi(cli, raw);
    });
}
