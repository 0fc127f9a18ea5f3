import { CoderDxError } from "@coder-dx/core";
import type { z } from "zod";

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
      return `${name}${raw === undefined ? "" : ` "${String(raw)}"`}: ${issue.message}`;
    });
    throw new CoderDxError("usage_invalid", problems.join("; "));
  }
  return result.data;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
