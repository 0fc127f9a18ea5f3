import type { Logger, Redactor } from "@coder-dx/core";

/** A field as a person reads it: `runId=4`, `message="DX answered 503"`, nested values as JSON. */
function field(key: string, value: unknown): string {
  const text =
    typeof value === "string"
      ? /^[\w.:@/+-]+$/.test(value)
        ? value
        : JSON.stringify(value)
      : JSON.stringify(value);
  return `${key}=${text}`;
}

/** A logger for the CLI: one line per event on stderr, `key=value` fields, secrets masked. */
export function stderrLogger(
  redactor: Redactor,
  write: (text: string) => void = (t) => process.stderr.write(t),
): Logger {
  const emit = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const extra = Object.entries(fields ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => field(key, value));
    write(
      redactor.text(`${level}: ${message}${extra.length > 0 ? ` (${extra.join(" ")})` : ""}\n`),
    );
  };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}
