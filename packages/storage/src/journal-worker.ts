import { parentPort, workerData } from "node:worker_threads";
import { type SyncStore, toErrorInfo } from "@coder-dx/core";
import type { JournalAnswer, JournalRequest, JournalTarget } from "./journal";
import { openDatabase } from "./sqlite/open-database";
import { PostgresSyncStore } from "./postgres/postgres-sync-store";
import { SqliteSyncStore } from "./sqlite/sqlite-sync-store";

/**
 * The worker side of `WorkerJournal`: a connection of its own to the run's database, one
 * transaction per request, answered in the order asked. On SQLite, WAL lets the main thread's
 * connection read meanwhile and the two writers take turns (the busy timeout); on Postgres the
 * store's own client thread does the talking, and this thread waits on it.
 */
const { target } = workerData as { target: JournalTarget };
const port = parentPort;
if (!port) throw new Error("the journal runs in a worker thread");

let store: SyncStore | null = null;
try {
  store =
    target.kind === "sqlite"
      ? new SqliteSyncStore(openDatabase(target.path, { companion: true }))
      : new PostgresSyncStore(target.url);
  port.postMessage({ op: "opened", ok: true } satisfies JournalAnswer);
} catch (error) {
  port.postMessage({ op: "opened", ok: false, error: toErrorInfo(error) } satisfies JournalAnswer);
  port.close();
}

port.on("message", (request: JournalRequest) => {
  let answer: JournalAnswer;
  try {
    if (!store) throw new Error("the journal is closed");
    if (request.op === "close") {
      store.close();
      store = null;
      answer = { op: "answer", id: request.id, ok: true };
    } else if (request.op === "insert") {
      answer = { op: "answer", id: request.id, ok: true, ids: store.insertChanges(request.rows) };
    } else {
      store.settleChanges(request.receipts);
      answer = { op: "answer", id: request.id, ok: true };
    }
  } catch (error) {
    answer = { op: "answer", id: request.id, ok: false, error: toErrorInfo(error) };
  }
  port.postMessage(answer);
  if (!store) port.close();
});
