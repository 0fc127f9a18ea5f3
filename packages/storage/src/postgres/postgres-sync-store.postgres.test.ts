import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emptyRunCounts } from "@coder-dx/core";
import { aChangeRow, aUserState, describeSyncStoreContract } from "@coder-dx/core/testing";
import { openDatabase } from "../sqlite/open-database";
import { SqliteSyncStore } from "../sqlite/sqlite-sync-store";
import { copySqliteToPostgres } from "./copy-from-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { freshPostgresStores } from "./fresh-database";
import { PostgresSyncStore } from "./postgres-sync-store";

/** A server to test against: `.ci/run` starts one and sets this; locally, these tests skip. */
const url = process.env.CODER_DX_TEST_POSTGRES;
if (!url)
  console.warn(
    "Postgres store tests skipped: set CODER_DX_TEST_POSTGRES=postgres://user@host:port/db (.ci/run starts a server)",
  );

const stores = freshPostgresStores(url ?? "");
const freshStore = () => stores.fresh();

afterAll(() => stores.closeAll());

if (url) {
  describeSyncStoreContract("postgres", freshStore);

  describe("copying a SQLite database (migrate-store)", () => {
    it("carries runs, audit rows, states, holds, adopted values and deliveries, ids and cursors kept", () => {
      const sqlite = new SqliteSyncStore(openDatabase(":memory:"));
      const day = (d: number) => `2026-11-${String(d).padStart(2, "0")}T10:00:00.000Z`;
      const run = sqlite.startRun({
        trigger: "cli",
        dryRun: false,
        scoped: false,
        startedAt: day(1),
      });
      sqlite.startRun({ trigger: "schedule", dryRun: true, scoped: true, startedAt: day(2) });
      const [applied, pending] = sqlite.insertChanges([
        aChangeRow({ runId: run.id, at: day(1), outcome: "pending", after: { Coder: "Active" } }),
        aChangeRow({ runId: run.id, at: day(1), email: "bob@example.com", outcome: "pending" }),
      ]);
      sqlite.settleChanges([
        {
          changeId: applied as string,
          at: day(1),
          outcome: "applied",
          error: null,
          attempts: 1,
          state: {
            type: "confirmed",
            email: "alice@example.com",
            coderUserId: "c-1",
            kind: "attributes",
            values: { Coder: "Active" },
          },
        },
      ]);
      sqlite.finishRun(run.id, {
        status: "partial",
        finishedAt: day(1),
        error: { code: "dx_rejected", message: "one refused" },
        counts: { ...emptyRunCounts(), applied: 1 },
        sourceCount: 2,
      });
      sqlite.adoptUserStates([
        aUserState("carol@example.com", { Coder: "Dormant" }, { updatedAt: day(1) }),
      ]);
      sqlite.saveHolds([{ email: "carol@example.com", holds: { Level: day(1) } }]);
      sqlite.recordDelivery({
        runId: run.id,
        at: day(1),
        target: "https://hooks.example.com",
        event: "partial",
        outcome: "delivered",
        attempts: 1,
        httpStatus: 200,
        error: null,
      });

      sqlite.recordNotification({
        msgId: "m-1",
        receivedAt: day(3),
        name: "Workspace Created",
        templateId: "281fdf73-c6d6-4cbb-8ff5-888baf8a2fff",
        kind: "workspace_created",
        subject: { userId: "u-1", username: "alice", email: null },
        details: { workspaceId: "w-1", workspace: "dev" },
        outcome: "ignored",
        note: "not used",
      });

      const target = freshStore();
      const copied = copySqliteToPostgres(sqlite.db, target.connection);
      // Every table of the schema, a new one without anything here to keep in step.
      expect(copied).toEqual({
        runs: 2,
        changes: 2,
        states: 2,
        holds: 1,
        adoptions: 1,
        deliveries: 1,
        notifications: 1,
        events: 0,
      });
      expect(target.listNotifications({ limit: 5 })).toEqual(
        sqlite.listNotifications({ limit: 5 }),
      );
      expect(target.listRuns({ limit: 10 })).toEqual(sqlite.listRuns({ limit: 10 }));
      expect(target.listChanges({ limit: 1 })).toEqual(sqlite.listChanges({ limit: 1 }));
      expect(target.listChanges({ limit: 10, cursor: pending })).toEqual(
        sqlite.listChanges({ limit: 10, cursor: pending }),
      );
      expect(target.loadUserStates()).toEqual(sqlite.loadUserStates());
      expect(target.loadHolds()).toEqual(sqlite.loadHolds());
      expect([...target.attributeHistory(day(9))]).toEqual([...sqlite.attributeHistory(day(9))]);
      expect(target.listDeliveries(run.id)).toEqual(sqlite.listDeliveries(run.id));
      // New ids follow the copied ones.
      expect(
        target.startRun({ trigger: "cli", dryRun: false, scoped: false, startedAt: day(3) }).id,
      ).toBe("3");
      // A second copy into a database with history is refused, and changes nothing.
      expect(() => copySqliteToPostgres(sqlite.db, target.connection)).toThrow(
        /empty database only/,
      );
      expect(target.listRuns({ limit: 10 }).items).toHaveLength(3);
    });
  });

  describe("a dropped connection", () => {
    const dropConnections = (store: PostgresSyncStore) => {
      const name = new URL(store.where).pathname.slice(1);
      stores
        .server()
        .query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [name],
        );
    };
    const eventually = <T>(call: () => T): T => {
      try {
        return call();
      } catch {
        return call(); // the first call may meet the dead socket; the next one reconnects
      }
    };

    it("is made again on the next call", () => {
      const store = freshStore();
      const run = store.startRun({
        trigger: "cli",
        dryRun: false,
        scoped: false,
        startedAt: "2026-11-01T00:00:00.000Z",
      });
      dropConnections(store);
      expect(eventually(() => store.getRun(run.id))?.id).toBe(run.id);
    });

    it("loses a transaction whole, never half of it", () => {
      const store = freshStore();
      const db = store.connection;
      db.query("BEGIN");
      db.query(
        "INSERT INTO holds (email, group_name, since) VALUES ('ann@example.com', 'Level', 'x')",
      );
      dropConnections(store);
      expect(() => {
        db.query(
          "INSERT INTO holds (email, group_name, since) VALUES ('bob@example.com', 'Level', 'x')",
        );
        db.query("COMMIT");
      }).toThrow(/store_failed|database/);
      db.query("ROLLBACK");
      expect(eventually(() => store.loadHolds()).size).toBe(0);
    });
  });

  describe("the Postgres store", () => {
    it("is unusable, naming the server without its password, when it cannot connect", () => {
      const bad = new URL(url);
      bad.port = "1";
      bad.password = "s3cret-password";
      const failure = errorOf(() => new PostgresSyncStore(bad.toString()));
      expect(failure.code).toBe("store_unusable");
      expect(failure.message).toMatch(/^database postgres(ql)?:\/\/.*127\.0\.0\.1:1\//);
      expect(failure.message).not.toContain("s3cret-password");
    });

    it("fails a write on a full disk with the server's reason, and keeps answering reads", () => {
      // A tablespace on a 4 MB tmpfs of its own, when this machine lets tests mount one and the
      // server runs here (the postgres user must own the directory).
      const dir = join(tmpdir(), `coder-dx-pgfull-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir], { stdio: "ignore" });
        execFileSync("chown", ["postgres", dir], { stdio: "ignore" });
      } catch {
        rmSync(dir, { recursive: true, force: true });
        return console.warn("skipped: this machine does not let tests mount a tmpfs for Postgres");
      }
      const space = `coder_dx_full_${process.pid}`;
      const name = `coder_dx_full_db_${process.pid}`;
      try {
        stores.server().query(`CREATE TABLESPACE ${space} LOCATION '${dir}'`);
        stores.server().query(`CREATE DATABASE ${name} TABLESPACE ${space}`);
        const target = new URL(url);
        target.pathname = `/${name}`;
        const store = new PostgresSyncStore(target.toString());
        const run = store.startRun({
          trigger: "cli",
          dryRun: false,
          scoped: false,
          startedAt: "2026-11-01T00:00:00.000Z",
        });
        const big = "x".repeat(2000);
        let failure: { code: string; message: string } | null = null;
        for (let i = 0; i < 200 && !failure; i++) {
          try {
            store.insertChanges(
              Array.from({ length: 100 }, () => aChangeRow({ runId: run.id, note: big })),
            );
          } catch (error) {
            failure = error as { code: string; message: string };
          }
        }
        expect(failure?.code).toBe("store_failed");
        expect(failure?.message).toMatch(/could not extend file|No space left on device/);
        expect(store.getRun(run.id)?.status).toBe("running");
        store.close();
      } finally {
        stores.server().query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        stores.server().query(`DROP TABLESPACE IF EXISTS ${space}`);
        execFileSync("umount", ["-l", dir], { stdio: "ignore" });
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("is unusable, naming the table and column, when its tables are not its schema's", () => {
      const store = freshStore();
      store.connection.query("ALTER TABLE changes DROP COLUMN evidence");
      const url = new URL(process.env.CODER_DX_TEST_POSTGRES as string);
      url.pathname = `/${store.where.split("/").at(-1)}`;
      store.close();
      let error: unknown = null;
      try {
        new PostgresSyncStore(url.toString()).close();
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toMatchObject({
        code: "store_unusable",
        message: expect.stringContaining("its table changes lacks evidence"),
      });
    });

    it("is unusable, saying why, on a read-only database", () => {
      const store = freshStore();
      const name = new URL(store.where).pathname.slice(1);
      store.close();
      stores.server().query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      const failure = errorOf(() => new PostgresSyncStore(target.toString()));
      expect(failure.code).toBe("store_unusable");
      expect(failure.message).toContain("read-only transaction");
    });
  });
} else {
  describe.skip("the Postgres store (no CODER_DX_TEST_POSTGRES)", () => {
    it("passes the store contract", () => {});
  });
}

function errorOf(call: () => unknown): { code: string; message: string } {
  try {
    call();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected a failure");
}
