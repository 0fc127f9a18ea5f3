import { parentPort, workerData } from "node:worker_threads";
import { toErrorInfo } from "@coder-dx/core";
import { openDatabase } from "./open-database";
import { SqliteSyncStore } from "./sqlite-sync-store";
import type { JournalAnswer, JournalRequest } from "./sqlite-journal";

/**
 * The worker side of `SqliteJournal`: a connection of its own to the run's database, one
 * transaction per request, answered in the order asked. SQLite's WAL lets the main thread's
 * connection read meanwhile; the two writers take turns (the busy timeout).
 */
const { path } = workerData as { path: string };
const port = parentPort;
if (!port) throw new Error("the journal runs in a worker thread");

let store: SqliteSyncStore | null = null;
try {
  store = new SqliteSyncStore(openDatabase(path, { companion: true }));
  port.postMessage({ op: "opened", ok: true } satisfies JournalAnswer);
} catch (error) {
  port.postMessage({ op: "opened", ok: false, error: toErrorInfo(error) } satisfies JournalAnswer);
  port.close();
}

port.on("message", (request: JournalRequest) => {
  let answer: JournalAnswer;
  try {
    if (!store) throw new Error(`database ${path}: closed`);
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
