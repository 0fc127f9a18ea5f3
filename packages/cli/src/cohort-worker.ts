import { Worker } from "node:worker_threads";
import type { CohortSeries } from "@coder-dx/core";
import { workerScript } from "@coder-dx/storage";

/** A fold that takes longer than this is given up (the console keeps its last chart). */
const FOLD_TIMEOUT_MS = 300_000;

/**
 * Computes the console's cohort series in a worker thread with a store of its own (SQLite read
 * only, or Postgres): the server's event loop, and a run's writes, never wait for the fold.
 */
export function cohortSeriesInWorker(db: string): (dates: string[]) => Promise<CohortSeries> {
  const { script, eval: isCode } = workerScript(
    new URL("./workers/cohort-series.js", import.meta.url),
    new URL("./workers/cohort-series.ts", import.meta.url),
    () => import.meta.resolve("tsx/esm/api"),
  );
  return (dates) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(script, { workerData: { db, dates }, eval: isCode });
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`the cohort fold took longer than ${FOLD_TIMEOUT_MS / 1000} s`));
      }, FOLD_TIMEOUT_MS);
      timer.unref();
      worker.once("message", (series: CohortSeries) => {
        clearTimeout(timer);
        resolve(series);
      });
      worker.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      worker.once("exit", (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new Error(`the cohort worker exited with code ${code}`));
      });
    });
}
