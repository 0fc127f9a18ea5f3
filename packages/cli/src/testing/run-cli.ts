import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CoderSimulator, DxSimulator } from "@coder-dx/simulators";

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
/** The launcher `pnpm -s coder-dx` uses: the bundle when it is newer than every source, else tsx. */
const LAUNCHER = fileURLToPath(new URL("../../bin/dev.sh", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a child process, never in-process. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      "sh",
      [LAUNCHER, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A scratch directory with a database path and the environment pointing the CLI at both simulators. */
export function cliEnvironment(
  coder: CoderSimulator,
  dx: DxSimulator,
  config: Record<string, unknown> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "coder-dx-e2e-"));
  const configPath = join(dir, "coder-dx.json");
  // The simulators answer at once; a high budget and short retry delays keep the tests quick.
  // Tests of the budget or of retries set their own.
  writeFileSync(
    configPath,
    JSON.stringify({
      ...config,
      coder: {
        requestsPerMinute: 60_000,
        retryBaseMs: 10,
        ...(config.coder as object | undefined),
      },
      dx: { requestsPerMinute: 60_000, retryBaseMs: 10, ...(config.dx as object | undefined) },
    }),
  );
  const db = join(dir, "coder-dx.db");
  return {
    dir,
    db,
    configPath,
    env: {
      CODER_URL: coder.url,
      CODER_SESSION_TOKEN: coder.token,
      DX_API_URL: dx.url,
      DX_API_TOKEN: dx.token,
      CODER_DX_DB: db,
      CODER_DX_CONFIG: configPath,
    },
  };
}

/** Starts the CLI and hands back the child, for tests that kill it part-way. */
export function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn("sh", [LAUNCHER, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ? null : code)),
  );
  return { child, exited };
}
