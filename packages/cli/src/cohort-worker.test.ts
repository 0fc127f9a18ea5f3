import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cohortSeries } from "@coder-dx/core";
import { aChangeRow, aUserState } from "@coder-dx/core/testing";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";
import { describe, expect, it } from "vitest";
import { cohortSeriesInWorker } from "./cohort-worker";

describe("the console's cohort worker", () => {
  it("folds the database's history in a worker thread, as the server would in process", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "coder-dx-cohort-")), "coder-dx.db");
    const store = new SqliteSyncStore(openDatabase(path));
    const day = (d: number) => `2026-11-${String(d).padStart(2, "0")}T12:00:00.000Z`;
    store.insertChanges([
      aChangeRow({
        at: day(1),
        email: "ann@example.com",
        outcome: "applied",
        after: { Coder: "Active" },
      }),
      aChangeRow({
        at: day(2),
        email: "bob@example.com",
        outcome: "applied",
        after: { Coder: "Active" },
      }),
      aChangeRow({
        at: day(3),
        email: "ann@example.com",
        outcome: "applied",
        after: { Coder: "Dormant" },
      }),
      aChangeRow({
        at: day(3),
        email: "cy@example.com",
        outcome: "rejected",
        after: { Coder: "Active" },
      }),
    ]);
    store.adoptUserStates([
      aUserState("dee@example.com", { Coder: "Active" }, { updatedAt: day(2) }),
    ]);
    const dates = [1, 2, 3].map((d) => `2026-11-0${d}T23:59:59.999Z`);
    const inWorker = await cohortSeriesInWorker(path)(dates);
    expect(inWorker).toEqual(cohortSeries(store, dates));
    expect(inWorker.groups.Coder).toEqual({ Active: [1, 3, 2], Dormant: [0, 0, 1] });
    store.close();
  });

  it("rejects, naming the failure, when the database cannot be read", async () => {
    await expect(
      cohortSeriesInWorker("/nonexistent/coder-dx.db")(["2026-11-01T00:00:00Z"]),
    ).rejects.toThrow();
  });
});
