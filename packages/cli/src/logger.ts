import type { Logger, Redactor } from "@coder-dx/core";

/** A logger for the CLI: one line per event on stderr, fields as JSON, secrets masked. */
export function stderrLogger(
  redactor: Redactor,
  write: (text: string) => void = (t) => process.stderr.write(t),
): Logger {
  const emit = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    write(
      redactor.text(
        `${level}: ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ""}\n`,
      ),
    );
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}
