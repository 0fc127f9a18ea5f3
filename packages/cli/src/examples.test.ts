import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerCommands } from "./commands";
import type { Cli } from "./context";
import { commandPath, EXAMPLES, leafCommands } from "./examples";

describe("every command's --help", () => {
  it("ends with examples, and every example names a command that exists", () => {
    const program = new Command("coder-dx");
    registerCommands(program, {} as Cli);
    const paths = leafCommands(program).map(commandPath);
    expect(paths.filter((path) => !EXAMPLES[path])).toEqual([]);
    expect(Object.keys(EXAMPLES).filter((path) => !paths.includes(path))).toEqual([]);
    for (const [path, lines] of Object.entries(EXAMPLES))
      for (const line of lines) expect(line, path).toMatch(new RegExp(`coder-dx ${path}\\b`));
  });
});
