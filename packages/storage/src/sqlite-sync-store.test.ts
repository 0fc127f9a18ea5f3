import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeSyncStoreContract } from "@coder-dx/core/testing";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./open-database";
import { SqliteSyncStore } from "./sqlite-sync-store";

describeSyncStoreContract("sqlite", () => new SqliteSyncStore(openDatabase(":memory:")));

describe("openDatabase", () => {
  it("creates a WAL database with the schema and reopens it idempotently", () => {
    const path = join(mkdtempSync(join(tmpdir(), "coder-dx-")), "store.db");
    const first = new SqliteSyncStore(openDatabase(path));
    first.startRun({
      trigger: "cli",
      dryRun: false,
      scoped: false,
      startedAt: "2026-11-20T00:00:00.000Z",
    });
    first.db.$client.close();
    const again = openDatabase(path);
    expect(again.$client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(new SqliteSyncStore(again).listRuns({ limit: 5 }).items).toHaveLength(1);
  });
});
