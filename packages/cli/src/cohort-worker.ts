import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { CohortSeries } from "@coder-dx/core";

/**
 * The worker beside the bundle (dist/workers); from source (tsx, tests), a small script that
 * registers tsx in the worker and imports the TypeScript file.
 */
function workerScript(): { script: string | URL; eval: boolean } {
  const bundled = new URL("./workers/cohort-series.js", import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return { script: bundled, eval: false };
  const source = new URL("./workers/cohort-series.ts", import.meta.url).href;
  // tsx's ESM API, found from this file (an eval'd worker would look from the working directory).
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return {
    script: `import(${tsx}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`,
    eval: true,
  };
}

/** Computes the console's cohort series in a worker thread reading `dbPath`. */
export function cohortSeriesInWorker(dbPath: string): (dates: string[]) => Promise<CohortSeries> {
  const { script, eval: isCode } = workerScript();
  return (dates) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(script, { workerData: { dbPath, dates }, eval: isCode });
      worker.once("message", (series: CohortSeries) => resolve(series));
      worker.once("error", reject);
      worker.once("exit", (code) => {
        if (code !== 0) reject(new Error(`the cohort worker exited with code ${code}`));
      });
    });
}
