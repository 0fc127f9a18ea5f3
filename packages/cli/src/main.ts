import { isCoderDxError } from "@coder-dx/core";
import { Command, CommanderError } from "commander";
import { registerApply } from "./commands/apply";
import { registerAudit } from "./commands/audit";
import { registerDemo } from "./commands/demo";
import { registerDoctor } from "./commands/doctor";
import { registerExport } from "./commands/export";
import { registerInit } from "./commands/init";
import { registerPlan } from "./commands/plan";
import { registerRuns } from "./commands/runs";
import { registerServe } from "./commands/serve";
import { registerSync } from "./commands/sync";
import { registerUsers } from "./commands/users";
import { type GlobalOptions, processCli } from "./context";
import { EXIT, exitCodeForError } from "./exit-codes";

const program = new Command("coder-dx")
  .description("Keeps DX's picture of who uses Coder true, and records what it sent.")
  .option("--config <file>", "YAML or JSON config file (or CODER_DX_CONFIG)")
  .option("--db <file>", "SQLite database (or CODER_DX_DB; default ./coder-dx.db)")
  .showHelpAfterError()
  .exitOverride();
const cli = processCli(
  () => program.opts<GlobalOptions>(),
  (code) => process.exit(code),
);
for (const register of [
  registerSync,
  registerPlan,
  registerApply,
  registerRuns,
  registerAudit,
  registerUsers,
  registerExport,
  registerDoctor,
  registerInit,
  registerServe,
  registerDemo,
]) {
  register(program, cli);
}

/** The only place that decides the process's exit code for an error. */
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (isCoderDxError(error)) {
    cli.out.note(`coder-dx: ${error.message}`);
    process.exitCode = exitCodeForError(error.code);
  } else {
    cli.out.note(
      `coder-dx: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = EXIT.failed;
  }
}
