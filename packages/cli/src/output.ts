import { existsSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { CoderDxError, type Redactor } from "@coder-dx/core";
import { columnsOf } from "@coder-dx/storage";
import { stringify } from "csv-stringify/sync";

/** Where commands write: one JSON document or human text on stdout; logs and progress on stderr. */
export interface Output {
  json(value: unknown): void;
  line(text?: string): void;
  /** Text as is (a CSV document), through the same redaction. */
  text(text: string): void;
  /** A status line for people; goes to stderr so `--json | jq` keeps working. */
  note(text: string): void;
  progress(text: string | null): void;
}

/** Everything goes through `redactor`: no configured secret ever reaches stdout or stderr. */
export function processOutput(redactor: Redactor): Output {
  const tty = process.stderr.isTTY === true;
  // A reader that went away (`coder-dx audit | head -1`) is not an error: the command finishes
  // (a sync still records everything) and writes nothing more to stdout.
  let stdoutOpen = true;
  process.stdout.on("error", () => {
    stdoutOpen = false;
  });
  const write = (text: string) => {
    if (stdoutOpen) process.stdout.write(text);
  };
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write("\r\x1b[2K");
    progressShown = false;
  };
  return {
    json: (value) => write(`${JSON.stringify(redactor.value(value), null, 2)}\n`),
    line: (text = "") => write(`${redactor.text(text)}\n`),
    text: (text) => write(redactor.text(text)),
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

/** A cell that is a number or a quantity (`12`, `1,024`, `0.4 s`, `933 ms`, `50%`). */
const NUMERIC = /^-?\d[\d,]*(\.\d+)?( ?(ms|s|h|%))?$/;

/**
 * Columns separated by two spaces under an upper-case header (`coder users list` style):
 * text left-aligned, numbers right-aligned. Cells may carry colour: widths count what shows.
 */
export function formatTable(headers: string[], rows: (string | number | null)[][]): string {
  const cells = [
    headers,
    ...rows.map((row) => row.map((cell) => (cell === null ? "-" : String(cell)))),
  ];
  const shown = (cell: string) => [...stripVTControlCharacters(cell)].length;
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => shown(row[i] ?? ""))));
  const numeric = headers.map(
    (_, i) =>
      rows.length > 0 &&
      cells
        .slice(1)
        .map((row) => stripVTControlCharacters(row[i] ?? ""))
        .every((cell) => cell === "-" || NUMERIC.test(cell)),
  );
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = " ".repeat((widths[i] ?? 0) - shown(cell));
          if (numeric[i]) return pad + cell;
          return i === row.length - 1 ? cell : cell + pad;
        })
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

/** Refuses an `--out` whose folder is missing before any work is done for it. */
export function assertFolderExists(path: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) {
    throw new CoderDxError(
      "usage_invalid",
      `cannot write ${path}: the folder ${folder} does not exist`,
    );
  }
}

/** Writes a file the user asked for (`--out`), or one clear error naming the path and why. */
export function writeOutputFile(path: string, content: string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? `the folder ${dirname(resolve(path))} does not exist`
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a folder"
            : code === "EROFS"
              ? "the file system is read-only"
              : code === "ENOSPC"
                ? "the disk is full"
                : (error as Error).message;
    throw new CoderDxError("usage_invalid", `cannot write ${path}: ${why}`);
  }
}

/**
 * Records as CSV, one column per column of the table they are stored in (its order, its names
 * as the JSON output spells them); objects as JSON.
 */
export function recordsAsCsv<T extends object>(
  table: Parameters<typeof columnsOf>[0],
  rows: readonly T[],
  /** More columns after the table's: a header and how to read it from a row. */
  extra: { header: string; value: (row: T) => string | number | null }[] = [],
): string {
  const columns = columnsOf(table).map((c) => c.key);
  return stringify(
    rows.map((row) => [
      ...columns.map((column) => {
        const value = (row as Record<string, unknown>)[column];
        return value !== null && typeof value === "object" ? JSON.stringify(value) : value;
      }),
      ...extra.map((column) => column.value(row)),
    ]),
    { header: true, columns: [...columns, ...extra.map((column) => column.header)] },
  );
}
