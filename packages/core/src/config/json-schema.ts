import { z } from "zod";
import { Config } from "./schema";

/** The config's JSON Schema, for editors (yaml-language-server, VS Code). Generated from the zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Config, { io: "input", unrepresentable: "any" }),
    title: "coder-dx configuration",
  };
}
