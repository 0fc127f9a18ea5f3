import { CoderDxError } from "@coder-dx/core";
import type { Cli } from "../context";

export async function serveApi(_cli: Cli, _options: { host: string; port: string }): Promise<void> {
  throw new CoderDxError("internal", "serve is not available yet");
}
