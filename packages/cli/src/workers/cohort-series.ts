import { parentPort, workerData } from "node:worker_threads";
import { cohortSeries, isPostgresUrl } from "@coder-dx/core";
import { openDatabase, PostgresSyncStore, SqliteSyncStore } from "@coder-dx/storage";

/**
 * The console's 90-day cohort, folded from the whole audit history on a connection of its own,
 * in a worker thread: the server's event loop (and a run's writes) never wait for it.
 */
const { db, dates } = workerData as { db: string; dates: string[] };
const store = isPostgresUrl(db)
  ? new PostgresSyncStore(db)
  : new SqliteSyncStore(openDatabase(db, { readonly: true }));
try {
  parentPort?.postMessage(cohortSeries(store, dates));
} finally {
  store.close();
}
