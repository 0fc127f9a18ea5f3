import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cohortSeries, type SyncStore } from "@coder-dx/core";
import { aChangeRow, aUserState } from "@coder-dx/core/testing";
import { openDatabase, PgConnection, PostgresSyncStore, SqliteSyncStore } from "@coder-dx/storage";
import { describe, expect, it } from "vitest";
import { cohortSeriesInWorker } from "./cohort-worker";

const POSTGRES = process.env.CODER_DX_TEST_POSTGRES;
const day = (d: number) => `2026-11-${String(d).padStart(2, "0")}T12:00:00.000Z`;
const DATES = [1, 2, 3].map((d) => `2026-11-0${d}T23:59:59.999Z`);

/** Four steps of history: two writes for ann, one for bob, a refusal, and dee adopted. */
function seed(store: SyncStore): void {
  const write = (d: number, email: string, Coder: string, outcome: "applied" | "rejected") =>
    aChangeRow({ at: day(d), email, outcome, after: { Coder } });
  store.insertChanges([
    write(1, "ann@example.com", "Active", "applied"),
    write(2, "bob@example.com", "Active", "applied"),
    write(3, "ann@example.com", "Dormant", "applied"),
    write(3, "cy@example.com", "Active", "rejected"),
  ]);
  store.adoptUserStates([
    aUserState("dee@example.com", { Coder: "Active" }, { updatedAt: day(2) }),
  ]);
}

describe("the console's cohort worker", () => {
  it("folds a SQLite database's history in a worker thread, as the server would in process", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "coder-dx-cohort-")), "coder-dx.db");
    const store = new SqliteSyncStore(openDatabase(path));
    seed(store);
    const inWorker = await cohortSeriesInWorker(path)(DATES);
    expect(inWorker).toEqual(cohortSeries(store, DATES));
    expect(inWorker.groups.Coder).toEqual({ Active: [1, 3, 2], Dormant: [0, 0, 1] });
    store.close();
  });

  it.skipIf(!POSTGRES)("folds a Postgres database's history the same way", async () => {
    const admin = new PgConnection(POSTGRES as string);
    const name = `coder_dx_cohort_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
    admin.query(`CREATE DATABASE ${name}`);
    admin.close();
    const url = new URL(POSTGRES as string);
    url.pathname = `/${name}`;
    const store = new PostgresSyncStore(url.toString());
    seed(store);
    expect((await cohortSeriesInWorker(url.toString())(DATES)).groups.Coder).toEqual({
      Active: [1, 3, 2],
      Dormant: [0, 0, 1],
    });
    store.close();
  });

  it("rejects, naming the failure, when the database cannot be read", async () => {
    await expect(cohortSeriesInWorker("/nonexistent/coder-dx.db")(DATES)).rejects.toThrow();
  });
});
