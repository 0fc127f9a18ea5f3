import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
/** The launcher `pnpm -s coder-dx` uses: the bundle when it is newer than every source, else tsx. */
const LAUNCHER = fileURLToPath(new URL("../../bin/dev.sh", import.meta.url));

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  logs(): string;
  /**
   * Sends a signal (to the whole process group, as a terminal or `kill -- -PGID` does, when
   * started with `group`) and resolves with the exit code and how long the exit took.
   */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** `pnpm -s coder-dx`, the README's way to run coder-dx from the repository. */
export const VIA_PNPM = ["pnpm", "-s", "coder-dx"];

/**
 * Starts `coder-dx serve --port 0` as a child process and waits for the URL it announces;
 * `command` is how coder-dx is started (the workspace's launcher unless given).
 */
export function startServe(
  args: string[],
  env: Record<string, string>,
  command: string[] = ["sh", LAUNCHER],
  options: { group?: boolean } = {},
): Promise<ServeProcess> {
  const [file, ...before] = command as [string, ...string[]];
  const child = spawn(file, [...before, "serve", "--port", "0", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 20_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /coder-dx on (http:\/\/[^\s:]+:\d+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1] as string,
          child,
          logs: () => stderr,
          stop: async (signal = "SIGTERM") => {
            const started = Date.now();
            if (options.group) process.kill(-(child.pid as number), signal);
            else child.kill(signal);
            const code = await exited;
            return { code, ms: Date.now() - started };
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
}
