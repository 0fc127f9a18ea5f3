/**
 * Input problems in coder-dx's own words, for every surface that validates what people type
 * (CLI flags, the config file): never the schema library's defaults.
 */

/** Edit distance (insertions, deletions, substitutions, and a swap of two neighbours). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  return at(a.length, b.length);
}

/**
 * The choice `given` most likely meant: one it starts, or within a third of its length in
 * edits (at least one). Null when nothing is that close.
 */
export function nearest(given: string, choices: readonly string[]): string | null {
  const typed = given.trim().toLowerCase();
  if (typed === "") return null;
  const prefixed = choices.filter((c) => c.toLowerCase().startsWith(typed));
  if (prefixed.length === 1) return prefixed[0] as string;
  let best: { choice: string; edits: number } | null = null;
  for (const choice of choices) {
    const edits = distance(typed, choice.toLowerCase());
    if (!best || edits < best.edits) best = { choice, edits };
  }
  return best && best.edits <= Math.max(1, Math.floor(typed.length / 3)) ? best.choice : null;
}

/** A zod issue as zod reports it: the fields the tool's own words need. */
export interface ZodIssueLike {
  code: string;
  message: string;
  path: PropertyKey[];
  expected?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  values?: readonly unknown[];
  keys?: readonly string[];
}

/**
 * What is wrong with a value, in the tool's words: zod's own defaults ("Invalid input:
 * expected number, received NaN") become "must be a whole number"; an enumeration names its
 * values and the nearest one. A message a schema wrote itself is kept.
 */
export function describeIssue(issue: ZodIssueLike, given: string | undefined): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.expected === "number" || issue.expected === "int")
        return given !== undefined && given.trim() !== "" && !Number.isNaN(Number(given))
          ? "must be a whole number"
          : "must be a number";
      return issue.message;
    case "too_small":
      if (issue.origin === "number") return `must be at least ${issue.minimum}`;
      if (issue.origin === "string") return "must not be empty";
      return issue.message;
    case "too_big":
      if (issue.origin === "number") return `must be at most ${issue.maximum}`;
      return issue.message;
    case "invalid_value": {
      const choices = (issue.values ?? []).map(String);
      const guess = given === undefined ? null : nearest(given, choices);
      return guess
        ? `did you mean ${guess}? (one of ${choices.join(", ")})`
        : `must be one of ${choices.join(", ")}`;
    }
    case "unrecognized_keys":
      return `unknown ${(issue.keys ?? []).map((k) => `"${k}"`).join(", ")}`;
    default:
      return issue.message;
  }
}
