import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  benchAudit,
  benchFrequency,
  benchLatencyBound,
  benchLargeSync,
  benchPlanner,
  benchTightBudget,
  type Result,
} from "./scenarios";
import { benchLive, benchStatusPass } from "./live";
import { benchPlatformx } from "./platformx";
import { benchSegments } from "./segments";

const only = process.argv[2];
const suites: Record<string, () => Promise<Result[]>> = {
  planner: () => benchPlanner(),
  audit: () => benchAudit(),
  sync: () => benchLargeSync(),
  tight: () => benchTightBudget(),
  frequency: () => benchFrequency(),
  latency: async () => [
    ...(await benchLatencyBound(20_000)),
    ...(await benchLatencyBound(100_000)),
  ],
  live: async () => [...(await benchLive()), ...(await benchStatusPass())],
  "live-status": () => benchStatusPass(),
  platformx: () => benchPlatformx(),
  segments: () => benchSegments(),
  "latency-20k": () => benchLatencyBound(20_000),
  "latency-100k": () => benchLatencyBound(100_000),
};

/** Set in a suite's own process: where it leaves its results for the run that started it. */
const handBack = process.env.CODER_DX_BENCH_OUT;

/**
 * Each suite of a full run in a fresh process, as each would run on its own: a suite that
 * leaves a large heap behind (the audit's 2,000,000 rows) must not slow the simulators of the
 * next one.
 */
async function inOwnProcess(name: string): Promise<Result[]> {
  const dir = mkdtempSync(join(tmpdir(), "coder-dx-bench-out-"));
  const out = join(dir, "results.json");
  try {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string, name], {
      env: { ...process.env, CODER_DX_BENCH_OUT: out },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const code = await new Promise<number | null>((done) => child.once("exit", done));
    try {
      return JSON.parse(readFileSync(out, "utf8")) as Result[];
    } catch {
      throw new Error(`bench suite ${name} exited ${code} without results`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = performance.now();
const results: Result[] = [];
for (const [name, suite] of Object.entries(suites)) {
  // `latency-20k`/`-100k` are one size of the latency scenario; the full run takes `latency`.
  if (only ? only !== name : name.startsWith("latency-") || name === "live-status") continue;
  results.push(...(only ? await suite() : await inOwnProcess(name)));
}
if (handBack) {
  writeFileSync(handBack, JSON.stringify(results));
  process.exit(0);
}

const format = (n: number) =>
  Number.isInteger(n) ? String(n) : n < 10 ? n.toFixed(3) : n.toFixed(1);
const rows = results.map((r) => [
  r.scenario,
  r.figure,
  `${format(r.value)} ${r.unit}`,
  `${format(r.bound)} ${r.unit}`,
  Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : "∞",
  r.limit,
  r.pass ? "pass" : "MISS",
]);
const headers = ["SCENARIO", "FIGURE", "VALUE", "BOUND/TARGET", "RATIO", "HELD TO", "RESULT"];
const widths = headers.map((h, i) =>
  Math.max(h.length, ...rows.map((row) => [...(row[i] as string)].length)),
);
for (const row of [headers, ...rows]) {
  console.log(
    row
      .map((cell, i) => cell + " ".repeat((widths[i] as number) - [...cell].length))
      .join("  ")
      .trimEnd(),
  );
}

const out = fileURLToPath(new URL("../../../bench/results.json", import.meta.url));
mkdirSync(fileURLToPath(new URL("../../../bench", import.meta.url)), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version }, seconds: (performance.now() - started) / 1000, results }, null, 2)}\n`,
);
console.log(
  `\n${results.filter((r) => r.pass).length}/${results.length} within target; figures in bench/results.json (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
