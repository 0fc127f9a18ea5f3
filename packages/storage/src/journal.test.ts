import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { SqliteSyncStore } from "./sqlite/sqlite-sync-store";
import { openDatabase } from "./sqlite/open-database";
import {
  describeJournal,
  intent,
  type JournalSubject,
  openJournal,
  startRun,
} from "./testing/journal-suite";

const closing: (() => void)[] = [];
afterAll(() => {
  for (const close of closing.splice(0)) close();
});

function sqliteSubject(): JournalSubject {
  const dir = mkdtempSync(join(tmpdir(), "coder-dx-"));
  const store = new SqliteSyncStore(openDatabase(join(dir, "j.db")));
  closing.push(() => store.close());
  return {
    store,
    where: store.path,
    unreachable: { kind: "sqlite", path: join(dir, "no-such-folder", "j.db") },
  };
}

it("a SQLite database in memory has no journal: the run commits through its store", () => {
  expect(new SqliteSyncStore(openDatabase(":memory:")).openJournal()).toBeNull();
});

it("a SQLite file of another schema keeps the journal on the event loop", async () => {
  const { store } = sqliteSubject();
  const run = startRun(store);
  // A schema this coder-dx does not know: the worker refuses it, the run's connection is open.
  (store as SqliteSyncStore).db.$client.pragma("user_version = 999");
  const journal = openJournal(store);
  expect(await journal.whenOpened()).toBe(false);
  const ids = await journal.insertChanges([intent(run.id, "a@example.com")]);
  await journal.close();
  expect(store.listChanges({ runId: run.id, limit: 10 }).items.map((c) => c.id)).toEqual(ids);
});

describeJournal("SQLite", sqliteSubject);
