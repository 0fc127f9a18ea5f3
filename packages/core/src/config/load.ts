import { readFileSync, statSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { describeIssue, type ZodIssueLike } from "../describe-issue";
import { CoderDxError } from "../errors";
import { Config } from "./schema";

/**
 * Renders zod issues as `key.path: problem` lines, the form every config error uses, in
 * coder-dx's words (`input`, when given, is what was read: a suggestion names its nearest value).
 */
export function describeIssues(error: z.ZodError, input?: unknown): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
      let given: unknown = input;
      for (const key of issue.path)
        given =
          given !== null && typeof given === "object"
            ? (given as Record<PropertyKey, unknown>)[key]
            : undefined;
      return `${path}: ${describeIssue(issue as ZodIssueLike, typeof given === "string" ? given : undefined)}`;
    })
    .join("; ");
}

/**
 * Replaces `${VAR}` in every string value so secrets can stay in the environment.
 * An unset variable is an error: a silently empty token would only fail later, less clearly.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ""): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        throw new CoderDxError(
          "config_invalid",
          `${path || "(root)"}: environment variable ${name} is not set`,
        );
      }
      return found;
    });
  }
  if (Array.isArray(value))
    return value.map((item, i) => interpolateEnv(item, env, `${path}.${i}`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateEnv(item, env, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}

export function parseConfig(raw: unknown, source: string): Config {
  const result = Config.safeParse(raw ?? {});
  if (!result.success) {
    throw new CoderDxError("config_invalid", `${source}: ${describeIssues(result.error, raw)}`);
  }
  return result.data;
}

/** Reads a YAML or JSON config file (YAML is a superset of JSON, so one parser reads both). */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new CoderDxError(
        "config_invalid",
        `config file ${path}: not a regular file (${stat.isDirectory() ? "a directory" : "a device, pipe or socket"})`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof CoderDxError) throw error;
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    throw new CoderDxError("config_invalid", `config file ${path}: ${reason}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    // Only the parser's first line (what and where): the lines it quotes after it could hold a token.
    const [what] = (error as Error).message.split("\n");
    throw new CoderDxError(
      "config_invalid",
      `config file ${path}: not valid YAML or JSON: ${what}`,
    );
  }
  return parseConfig(interpolateEnv(raw, env), `config file ${path}`);
}
