import { parentPort, workerData } from "node:worker_threads";
import { cohortSeries } from "@coder-dx/core";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";

/**
 * The console's 90-day cohort, folded from the whole audit history on a read-only connection of
 * its own, in a worker thread: the server's event loop (and a run's writes) never wait for it.
 */
const { dbPath, dates } = workerData as { dbPath: string; dates: string[] };
const store = new SqliteSyncStore(openDatabase(dbPath, { readonly: true }));
try {
  parentPort?.postMessage(cohortSeries(store, dates));
} finally {
  store.close();
}
