import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Run } from "@coder-dx/core";
import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";

const CLI = fileURLToPath(new URL("../../cli/dist/main.js", import.meta.url));
const RSS = fileURLToPath(new URL("./report-rss.mjs", import.meta.url));

export interface Org {
  coder: CoderSimulator;
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
  const coder = await CoderSimulator.start(options);
  const dx = await DxSimulator.start(options);
  for (let i = 0; i < size; i++) {
    const username = `person${String(i).padStart(6, "0")}`;
    coder.addUser({ username, usageSeconds: (i % 4) * 12 * 3600 });
    dx.addUser({ email: `${username}@example.com`, attributes: { Department: "Engineering" } });
  }
  coder.faults.latencyMs = latencyMs;
  dx.faults.latencyMs = latencyMs;
  const dir = mkdtempSync(join(tmpdir(), "coder-dx-bench-"));
  return {
    coder,
    dx,
    dir,
    db: join(dir, "coder-dx.db"),
    close: async () => {
      await coder.close();
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

/** One `coder-dx sync --json` run of the bundled CLI against the org, with its cost measured. */
export async function measureSync(
  org: Org,
  config: Record<string, unknown>,
): Promise<SyncMeasurement> {
  const configPath = join(org.dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  const requestsBefore = org.dx.requests.length;
  const connectionsBefore = org.dx.connections;
  const writesBefore = org.dx.writes.length;
  const started = performance.now();
  // The bundle started as an installed bin starts: through its shebang (and its node flags).
  const child = spawn(CLI, ["sync", "--json"], {
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
      NODE_OPTIONS: `--import ${RSS}`,
      CODER_URL: org.coder.url,
      CODER_SESSION_TOKEN: org.coder.token,
      DX_API_URL: org.dx.url,
      DX_API_TOKEN: org.dx.token,
      CODER_DX_DB: org.db,
      CODER_DX_CONFIG: configPath,
    },
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
  return {
    run,
    runSeconds: (Date.parse(run.finishedAt ?? run.startedAt) - Date.parse(run.startedAt)) / 1000,
    processSeconds,
    peakRssMb: rss / 1024,
    dxRequests: requests.length,
    dxWrites: org.dx.writes.length - writesBefore,
    busiestSecond: busiestSecond(requests.map((r) => r.at)),
    dxConnections: org.dx.connections - connectionsBefore,
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
