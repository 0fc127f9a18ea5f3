import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { CoderDxError, configJsonSchema, STARTER_CONFIG } from "@coder-dx/core";
import type { Command } from "commander";
import { z } from "zod";
import type { Cli } from "../context";
import { parseOptions } from "../options";
import { writeOutputFile } from "../output";

const InitOptions = z.object({
  out: z.string().min(1).default("coder-dx.yaml"),
  force: z.boolean().default(false),
});

export function registerInit(program: Command, cli: Cli): void {
  program
    .command("init")
    .description("write a commented starter config file and its JSON Schema (for editors)")
    .option("--out <file>", "where to write the config", "coder-dx.yaml")
    .option("--force", "overwrite existing files")
    .action((raw) => {
      const options = parseOptions(InitOptions, raw);
      const schemaPath = join(dirname(options.out), "coder-dx.schema.json");
      for (const path of [options.out, schemaPath]) {
        if (existsSync(path) && !options.force)
          throw new CoderDxError("usage_invalid", `${path} exists; use --force to overwrite it`);
      }
      writeOutputFile(options.out, STARTER_CONFIG);
      writeOutputFile(schemaPath, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      cli.out.line(`wrote ${options.out} and ${schemaPath}`);
      cli.out.line(
        `use it with: export CODER_DX_CONFIG=${options.out}  (or --config ${options.out})`,
      );
    });
}
