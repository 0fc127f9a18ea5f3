import { fork, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Run } from "@coder-dx/core";
import type { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { startCoder, startDx } from "./seed";

export const CLI = fileURLToPath(new URL("../../cli/dist/main.js", import.meta.url));
const RSS = fileURLToPath(new URL("./report-rss.mjs", import.meta.url));

/** Where the CLI finds Coder: the simulator itself, or one running in a process of its own. */
export interface CoderEndpoint {
  url: string;
  token: string;
}

export interface Org<Coder extends CoderEndpoint = CoderSimulator> {
  coder: Coder;
  dx: DxSimulator;
  dir: string;
  db: string;
  close(): Promise<void>;
}

/** Both simulators with `size` people, all active, all known to DX; `latencyMs` on every request. */
export async function startOrg(
  size: number,
  latencyMs: number,
  options: { keepAliveTimeoutMs?: number } = {},
): Promise<Org> {
  const coder = await startCoder(size, latencyMs, options);
  return beside(coder, () => coder.close(), size, latencyMs, options);
}

/**
 * The same org with Coder's simulator in a process of its own (`coder-process.ts`), as the
 * two services are apart in life: Coder's large answers do not hold up DX's in one event loop.
 * Coder is only read here; DX is where the benchmark counts requests.
 */
export async function startSeparateOrg(
  size: number,
  latencyMs: number,
  options: { keepAliveTimeoutMs: number },
): Promise<Org<CoderEndpoint>> {
  // Run from source as the benchmark is, through tsx.
  const child = fork(
    fileURLToPath(new URL("./coder-process.ts", import.meta.url)),
    [String(size), String(latencyMs), String(options.keepAliveTimeoutMs)],
    { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const exited = new Promise((done) => child.once("exit", done));
  const coder = await new Promise<CoderEndpoint>((resolve, reject) => {
    child.once("message", (message) => resolve(message as CoderEndpoint));
    child.once("exit", (code) => reject(new Error(`the Coder simulator exited ${code}`)));
  });
  const closeCoder = async () => {
    child.send("close");
    await exited;
  };
  return beside(coder, closeCoder, size, latencyMs, options).catch((error) => {
    child.kill();
    throw error;
  });
}

/** DX's simulator and a database folder beside a started Coder: the org, closed whole. */
async function beside<Coder extends CoderEndpoint>(
  coder: Coder,
  closeCoder: () => Promise<void>,
  size: number,
  latencyMs: number,
  options: { keepAliveTimeoutMs?: number },
): Promise<Org<Coder>> {
  const dx = await startDx(size, latencyMs, options);
  const dir = mkdtempSync(join(tmpdir(), "coder-dx-bench-"));
  return {
    coder,
    dx,
    dir,
    db: join(dir, "coder-dx.db"),
    close: async () => {
      await closeCoder();
      await dx.close();
    },
  };
}

export interface SyncMeasurement {
  run: Run;
  /** Wall time of the run as recorded (startedAt → finishedAt), seconds. */
  runSeconds: number;
  /** Wall time of the whole CLI process, seconds. */
  processSeconds: number;
  peakRssMb: number;
  dxRequests: number;
  dxWrites: number;
  /** The most DX requests that arrived in any 1-second window. */
  busiestSecond: number;
  /** TCP connections the DX simulator accepted during the run. */
  dxConnections: number;
  /** From the CLI's spawn to DX receiving its first write (start, reads, plan), seconds. */
  firstWriteSeconds: number | null;
  /** DX writes per second between the first write and the last. */
  writesPerSecond: number | null;
  /** The writes DX received, as sent: what a bare client sends to compare with. */
  writes: { email: string; attributes: unknown }[];
}

export function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] as number) < (sorted[i] as number) + 1000) j++;
    worst = Math.max(worst, j - i);
  }
  return worst;
}

/** The environment of a coder-dx started from the bundle against `org`, with `configPath`. */
export function cliEnv(
  org: Org<CoderEndpoint>,
  configPath: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    CODER_URL: org.coder.url,
    CODER_SESSION_TOKEN: org.coder.token,
    DX_API_URL: org.dx.url,
    DX_API_TOKEN: org.dx.token,
    CODER_DX_DB: org.db,
    CODER_DX_CONFIG: configPath,
    ...extra,
  };
}

/** One `coder-dx sync --json` run of the bundled CLI against the org, with its cost measured. */
export async function measureSync(
  org: Org<CoderEndpoint>,
  config: Record<string, unknown>,
  args: string[] = [],
): Promise<SyncMeasurement> {
  const configPath = join(org.dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  const requestsBefore = org.dx.requests.length;
  const connectionsBefore = org.dx.connections;
  const writesBefore = org.dx.writes.length;
  const started = performance.now();
  // The bundle started as an installed bin starts: through its shebang (and its node flags).
  const child = spawn(CLI, ["sync", "--json", ...args], {
    env: cliEnv(org, configPath, { NODE_OPTIONS: `--import ${RSS}` }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const processSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sync exited ${code}:\n${stderr.slice(-2000)}`);
  const { run } = JSON.parse(stdout) as { run: Run };
  const rss = Number(/BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? 0);
  const requests = org.dx.requests.slice(requestsBefore);
  const writes = org.dx.writes.slice(writesBefore);
  const first = writes[0]?.at;
  const last = writes.at(-1)?.at;
  return {
    run,
    runSeconds: (Date.parse(run.finishedAt ?? run.startedAt) - Date.parse(run.startedAt)) / 1000,
    processSeconds,
    peakRssMb: rss / 1024,
    dxRequests: requests.length,
    dxWrites: writes.length,
    firstWriteSeconds: first === undefined ? null : (first - started) / 1000,
    writesPerSecond:
      first === undefined || last === undefined || last === first
        ? null
        : (writes.length - 1) / ((last - first) / 1000),
    busiestSecond: busiestSecond(requests.map((r) => r.at)),
    dxConnections: org.dx.connections - connectionsBefore,
    writes: writes.map((w) => ({ email: w.email, attributes: w.body.attributes })),
  };
}

const BARE = fileURLToPath(new URL("./bare-client.ts", import.meta.url));

/**
 * The same writes from a bare keep-alive undici client (`bare-client.ts`) in a process of its
 * own, at the same concurrency, against the same simulator: the practical bound the CLI is held
 * to. Process wall from spawn to exit, as the CLI's.
 */
export async function measureBareClient(
  org: Org<CoderEndpoint>,
  writes: SyncMeasurement["writes"],
  concurrency: number,
): Promise<{ writes: number; processSeconds: number; writesPerSecond: number }> {
  const file = join(org.dir, "bare-writes.json");
  writeFileSync(file, JSON.stringify(writes));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", BARE, org.dx.url, org.dx.token, file, String(concurrency)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const processSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`the bare client exited ${code}`);
  const figures = JSON.parse(stdout) as { writes: number; failed: number; writesPerSecond: number };
  if (figures.failed > 0) throw new Error(`the bare client had ${figures.failed} writes refused`);
  return { writes: figures.writes, processSeconds, writesPerSecond: figures.writesPerSecond };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
