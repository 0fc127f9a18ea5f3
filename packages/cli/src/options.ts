import { CoderDxError, describeIssues } from "@coder-dx/core";
import type { z } from "zod";

/** Parses command options with a zod schema; a bad value is a usage error (exit 2) naming the flag. */
export function parseOptions<T>(schema: z.ZodType<T>, options: unknown): T {
  const result = schema.safeParse(options);
  if (!result.success) throw new CoderDxError("usage_invalid", describeIssues(result.error).replace(/^(\w+)/, "--$1"));
  return result.data;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
