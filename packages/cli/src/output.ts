import type { Redactor } from "@coder-dx/core";

/** Where commands write: one JSON document or human text on stdout; logs and progress on stderr. */
export interface Output {
  json(value: unknown): void;
  line(text?: string): void;
  /** A status line for people; goes to stderr so `--json | jq` keeps working. */
  note(text: string): void;
  progress(text: string | null): void;
}

/** Everything goes through `redactor`: no configured secret ever reaches stdout or stderr. */
export function processOutput(redactor: Redactor): Output {
  const tty = process.stderr.isTTY === true;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write("\r\x1b[2K");
    progressShown = false;
  };
  return {
    json: (value) => process.stdout.write(`${JSON.stringify(redactor.value(value), null, 2)}\n`),
    line: (text = "") => process.stdout.write(`${redactor.text(text)}\n`),
    note: (text) => {
      clearProgress();
      process.stderr.write(`${redactor.text(text)}\n`);
    },
    progress: (text) => {
      if (!tty) return;
      if (text === null) return clearProgress();
      process.stderr.write(`\r\x1b[2K${redactor.text(text)}`);
      progressShown = true;
    },
  };
}

/** Left-aligned columns separated by two spaces, with an upper-case header: `coder users list` style. */
export function formatTable(headers: string[], rows: (string | number | null)[][]): string {
  const cells = [
    headers,
    ...rows.map((row) => row.map((cell) => (cell === null ? "-" : String(cell)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => [...(row[i] ?? "")].length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - [...cell].length),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatValues(values: Record<string, string | null> | null): string {
  if (!values) return "-";
  if (Object.keys(values).length === 0) return "(none)";
  return Object.entries(values)
    .map(([group, value]) => `${group}=${value ?? "∅"}`)
    .join(", ");
}

/** `before → after`, naming only the groups that change. */
export function formatChange(
  before: Record<string, string | null> | null,
  after: Record<string, string | null> | null,
): string {
  if (!after) return "-";
  const parts = Object.entries(after)
    .filter(([group, value]) => (before?.[group] ?? null) !== value)
    .map(([group, value]) => `${group}: ${before?.[group] ?? "∅"} → ${value ?? "∅"}`);
  return parts.length > 0 ? parts.join("; ") : formatValues(after);
}

export function formatDuration(startedAt: string, finishedAt: string | null): string {
  if (!finishedAt) return "-";
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
