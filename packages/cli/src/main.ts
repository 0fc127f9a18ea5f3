import { isCoderDxError } from "@coder-dx/core";
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands";
import { type GlobalOptions, processCli } from "./context";
import { addExamples } from "./examples";
import { EXIT, exitCodeForError } from "./exit-codes";
import { VERSION } from "./version";

const program = new Command("coder-dx")
  .description("Keeps DX's picture of who uses Coder true, and records what it sent.")
  .option("--config <file>", "YAML or JSON config file (or CODER_DX_CONFIG)")
  .option("--db <file>", "SQLite database (or CODER_DX_DB; default ./coder-dx.db)")
  .version(VERSION, "-V, --version", "print the version")
  // Commander's errors are printed below, in the tool's words: one line, and where to look.
  .configureOutput({ outputError: () => {} })
  .exitOverride();
const cli = processCli(
  () => program.opts<GlobalOptions>(),
  (code) => process.exit(code),
);
registerCommands(program, cli);
addExamples(program);

// A command run with --json answers in JSON when it fails, too.
let json = false;
program.hook("preAction", (_, command) => {
  json = command.opts<{ json?: boolean }>().json === true;
});

/** Commander's message on one line: `unknown command 'sycn': did you mean sync?`. */
function commanderMessage(message: string): string {
  return message
    .replace(/^error: /, "")
    .replace(/\n\(Did you mean (.+)\?\)/, ": did you mean $1?")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

/** The only place that decides the process's exit code for an error. */
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // `coder-dx runs` without its subcommand: commander printed the help, nothing to add.
    if (error.exitCode !== 0 && error.code !== "commander.help") {
      const message = commanderMessage(error.message);
      if (process.argv.includes("--json"))
        cli.out.json({ error: { code: "usage_invalid", message } });
      const command = program.commands.find((c) => process.argv.slice(2).includes(c.name()));
      cli.out.note(`coder-dx: ${message}`);
      cli.out.note(
        command && error.code !== "commander.unknownCommand"
          ? `Run coder-dx ${command.name()} --help for its options and examples.`
          : "Run coder-dx --help for the commands.",
      );
    }
  } else {
    const known = isCoderDxError(error);
    const code = known ? error.code : "internal";
    const message = known
      ? error.message
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    if (json) cli.out.json({ error: { code, message } });
    // A message that names coder-dx already needs no prefix ("coder-dx has no record of …").
    cli.out.note(message.startsWith("coder-dx ") ? message : `coder-dx: ${message}`);
    // Never a stack trace unless asked for: it answers nothing for the person running this.
    if (!known && cli.env.CODER_DX_DEBUG && error instanceof Error && error.stack) {
      cli.out.note(error.stack);
    }
    process.exitCode = known ? exitCodeForError(error.code) : EXIT.failed;
  }
}
