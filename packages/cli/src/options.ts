import { CoderDxError, describeIssue, type ZodIssueLike } from "@coder-dx/core";
import { cursorProblem, isCursor, timeParameter } from "@coder-dx/core";
import { z } from "zod";

/** Parses command options with a zod schema; a bad value is a usage error (exit 2) naming the flag. */
export function parseOptions<T>(schema: z.ZodType<T>, options: unknown): T {
  const result = schema.safeParse(options);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const [flag, index] = issue.path;
      const name =
        typeof flag === "string"
          ? `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
          : "option";
      const given = (options as Record<string, unknown>)[flag as string];
      const value = typeof index === "number" && Array.isArray(given) ? given[index] : given;
      const raw = typeof value === "string" ? value : undefined;
      return `${name}${raw === undefined ? "" : ` "${String(raw)}"`}: ${describeIssue(issue as ZodIssueLike, raw)}`;
    });
    throw new CoderDxError("usage_invalid", problems.join("; "));
  }
  return result.data;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** What every listing command takes besides its filters: a time range, a page, and a format. */
export const listingOptions = {
  since: timeParameter("since").optional(),
  until: timeParameter("until").optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(50),
  cursor: z
    .string()
    .refine(isCursor, { error: (issue) => cursorProblem(String(issue.input)) })
    .optional(),
  json: z.boolean().default(false),
  csv: z.boolean().default(false),
};

/** A listing's options: its filters and `listingOptions`, with one of --json and --csv. */
export function listing<Shape extends z.ZodRawShape>(filters: Shape) {
  const oneFormat = (o: object) => {
    const { json, csv } = o as { json: boolean; csv: boolean };
    return !(json && csv);
  };
  return z.object({ ...filters, ...listingOptions }).refine(oneFormat, {
    message: "choose one of --json and --csv",
    path: ["json"],
  });
}
