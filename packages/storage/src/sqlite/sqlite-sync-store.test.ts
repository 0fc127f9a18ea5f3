import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeSyncStoreContract } from "@coder-dx/core/testing";
import { describe, expect, it } from "vitest";
import { openDatabase, schemaVersion } from "./open-database";
import { SqliteSyncStore } from "./sqlite-sync-store";

describeSyncStoreContract("sqlite", () => new SqliteSyncStore(openDatabase(":memory:")));

describe("the DX budget's members across processes", () => {
  it("shows two connections to one file the same members: the second newcomer waits", () => {
    const path = join(mkdtempSync(join(tmpdir(), "coder-dx-")), "store.db");
    const cli = new SqliteSyncStore(openDatabase(path));
    const serve = new SqliteSyncStore(openDatabase(path));
    const terms = { activeMs: 2_000, joinDelayMs: 1_500 };
    expect(cli.lookAtBudget("dx", "cli", 1_000, terms)).toEqual({ members: 1, activeFrom: 1_000 });
    expect(serve.lookAtBudget("dx", "serve", 1_050, terms)).toEqual({
      members: 2,
      activeFrom: 2_550,
    });
    expect(cli.lookAtBudget("dx", "cli", 1_100, terms)).toEqual({ members: 2, activeFrom: 1_000 });
    cli.db.$client.close();
    serve.db.$client.close();
  });
});

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

  const unusable = (path: string, options: { readonly?: boolean; companion?: boolean } = {}) => {
    try {
      openDatabase(path, options).$client.close();
    } catch (error) {
      return error as { code: string; message: string };
    }
    throw new Error(`${path} opened`);
  };
  const scratch = () => mkdtempSync(join(tmpdir(), "coder-dx-"));

  it("refuses a file that is not SQLite, naming it", () => {
    const path = join(scratch(), "notes.db");
    writeFileSync(path, "not a database at all\n".repeat(100));
    expect(unusable(path)).toMatchObject({
      code: "store_unusable",
      message: expect.stringContaining(`database ${path}: not a SQLite database`),
    });
  });

  it("refuses a database written by a newer coder-dx, and one cut short", () => {
    const newer = join(scratch(), "newer.db");
    const db = openDatabase(newer);
    db.$client.pragma(`user_version = ${schemaVersion() + 1}`);
    db.$client.close();
    expect(unusable(newer).message).toContain("written by a newer coder-dx");

    const cut = join(scratch(), "cut.db");
    const whole = openDatabase(cut);
    whole.$client.pragma("journal_mode = DELETE");
    for (let i = 0; i < 200; i++)
      new SqliteSyncStore(whole).startRun({
        trigger: "cli",
        dryRun: false,
        scoped: false,
        startedAt: "x".repeat(500),
      });
    whole.$client.close();
    truncateSync(cut, Math.floor(readFileSync(cut).length / 3));
    expect(unusable(cut)).toMatchObject({ code: "store_unusable" });
  });

  it("refuses a database whose tables are not its schema version's, naming the table, the column and the fix", () => {
    const path = join(scratch(), "altered.db");
    const db = openDatabase(path);
    db.$client.exec("ALTER TABLE changes DROP COLUMN evidence");
    db.$client.close();
    for (const options of [{}, { readonly: true }, { companion: true }]) {
      const error = unusable(path, options);
      expect(error.code).toBe("store_unusable");
      expect(error.message).toContain(`database ${path}: its table changes lacks evidence`);
      expect(error.message).toContain("move the database aside");
    }
  });

  it("never creates a database for a command that only reads", () => {
    const path = join(scratch(), "missing.db");
    expect(unusable(path, { readonly: true }).message).toContain("no such file; a sync creates it");
    expect(() => readFileSync(path)).toThrow();
  });

  it("notices its file deleted or replaced under it", async () => {
    const path = join(scratch(), "store.db");
    const store = new SqliteSyncStore(openDatabase(path));
    expect(() => store.assertIntact()).not.toThrow();
    writeFileSync(`${path}.new`, "");
    (await import("node:fs")).renameSync(`${path}.new`, path);
    expect(() => store.assertIntact()).toThrow(/replaced by another file/);
  });
});
