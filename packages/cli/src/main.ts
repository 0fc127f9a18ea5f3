import { isCoderDxError } from "@coder-dx/core";
import { Command, CommanderError } from "commander";
import { registerApply } from "./commands/apply";
import { registerAudit } from "./commands/audit";
import { registerDemo } from "./commands/demo";
import { registerDoctor } from "./commands/doctor";
import { registerEvents } from "./commands/events";
import { registerExport } from "./commands/export";
import { registerInit } from "./commands/init";
import { registerPlan } from "./commands/plan";
import { registerMigrateStore } from "./commands/migrate-store";
import { registerPrune } from "./commands/prune";
import { registerReport } from "./commands/report";
import { registerRuns } from "./commands/runs";
import { registerServe } from "./commands/serve";
import { registerSync } from "./commands/sync";
import { registerUsers } from "./commands/users";
import { type GlobalOptions, processCli } from "./context";
import { EXIT, exitCodeForError } from "./exit-codes";
import { VERSION } from "./version";

const program = new Command("coder-dx")
  .description("Keeps DX's picture of who uses Coder true, and records what it sent.")
  .option("--config <file>", "YAML or JSON config file (or CODER_DX_CONFIG)")
  .option("--db <file>", "SQLite database (or CODER_DX_DB; default ./coder-dx.db)")
  .version(VERSION, "-V, --version", "print the version")
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
  registerEvents,
  registerUsers,
  registerExport,
  registerPrune,
  registerMigrateStore,
  registerReport,
  registerDoctor,
  registerInit,
  registerServe,
  registerDemo,
]) {
  register(program, cli);
}

// A command run with --json answers in JSON when it fails, too.
let json = false;
program.hook("preAction", (_, command) => {
  json = command.opts<{ json?: boolean }>().json === true;
});

/** The only place that decides the process's exit code for an error. */
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error.exitCode !== 0 && process.argv.includes("--json")) {
      cli.out.json({ error: { code: "usage_invalid", message: error.message } });
    }
  } else {
    const known = isCoderDxError(error);
    const code = known ? error.code : "internal";
    const message = known
      ? error.message
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    if (json) cli.out.json({ error: { code, message } });
    cli.out.note(`coder-dx: ${message}`);
    // Never a stack trace unless asked for: it answers nothing for the person running this.
    if (!known && cli.env.CODER_DX_DEBUG && error instanceof Error && error.stack) {
      cli.out.note(error.stack);
    }
    process.exitCode = known ? exitCodeForError(error.code) : EXIT.failed;
  }
}
