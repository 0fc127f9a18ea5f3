import type { Run } from "@coder-dx/core";
import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { expect } from "vitest";
import { type CliResult, cliEnvironment, runCli } from "./run-cli";

/** Two fresh simulators, a scratch database and config, and helpers to run the CLI against them. */
export async function startScenario(config: Record<string, unknown> = {}) {
  const coder = await CoderSimulator.start();
  const dx = await DxSimulator.start();
  const setup = cliEnvironment(coder, dx, config);
  const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { ...setup.env, ...extraEnv });
  const sync = async (args: string[] = [], code = 0): Promise<Run> => {
    const result = await cli(["sync", "--json", ...args]);
    expect(result.code, result.stderr || result.stdout).toBe(code);
    return (JSON.parse(result.stdout) as { run: Run }).run;
  };
  /** A person in both Coder and DX. */
  const person = (
    username: string,
    extra: Parameters<CoderSimulator["addUser"]>[0] extends infer T ? Partial<T> : never = {},
  ) => {
    const user = coder.addUser({ username, ...extra });
    dx.addUser({ email: user.email.trim().toLowerCase() });
    return user;
  };
  return {
    coder,
    dx,
    ...setup,
    cli,
    sync,
    person,
    close: async () => {
      await coder.close();
      await dx.close();
    },
  };
}
