import { describe, expect, it } from "vitest";
import { aChangeRow, aConfig, aUserState } from "../testing/builders";
import { MemorySyncStore } from "../testing/memory-store";
import { valueOrders } from "../domain/mapping";
import { describeUser } from "./describe-user";
import { cohortCounts, cohortMovement, cohortSeries } from "./report";

const LEVEL = "Coder usage level";

/** Four people over three days; the numbers below are counted by hand from these rows. */
function history() {
  const store = new MemorySyncStore();
  const write = (at: string, email: string, level: string, coder = "Active") =>
    aChangeRow({ at, email, outcome: "applied", after: { Coder: coder, [LEVEL]: level } });
  store.insertChanges([
    write("2026-11-01T10:00:00.000Z", "ann@example.com", "Heavy"),
    write("2026-11-01T10:00:00.000Z", "bob@example.com", "Light"),
    write("2026-11-01T10:00:00.000Z", "cy@example.com", "Moderate"),
    aChangeRow({
      at: "2026-11-02T10:00:00.000Z",
      email: "bob@example.com",
      outcome: "rejected",
      after: { [LEVEL]: "Heavy" },
    }),
    write("2026-11-02T10:00:00.000Z", "ann@example.com", "Moderate"), // down
    write("2026-11-02T10:00:00.000Z", "bob@example.com", "Heavy"), // up
    write("2026-11-02T10:00:00.000Z", "dee@example.com", "Light"), // joined
    write("2026-11-03T10:00:00.000Z", "cy@example.com", "None", "Former user"),
  ]);
  return store;
}

describe("the cohort report", () => {
  it("counts who holds each value on a date, from confirmed writes (never refused ones)", () => {
    const store = history();
    expect(cohortCounts(store, "2026-11-01T23:59:59.999Z").groups).toEqual({
      Coder: { Active: 3 },
      [LEVEL]: { Heavy: 1, Light: 1, Moderate: 1 },
    });
    expect(cohortCounts(store, "2026-11-03T23:59:59.999Z").groups).toEqual({
      Coder: { Active: 3, "Former user": 1 },
      [LEVEL]: { Moderate: 1, Heavy: 1, Light: 1, None: 1 },
    });
  });

  it("counts values coder-dx found DX already holding from when it adopted them", () => {
    const store = history();
    store.adoptUserStates([
      aUserState(
        "eve@example.com",
        { Coder: "Active", [LEVEL]: "Heavy" },
        { updatedAt: "2026-11-02T12:00:00.000Z" },
      ),
    ]);
    expect(cohortCounts(store, "2026-11-01T23:59:59.999Z").groups[LEVEL]).toEqual({
      Heavy: 1,
      Light: 1,
      Moderate: 1,
    });
    expect(cohortCounts(store, "2026-11-02T23:59:59.999Z").groups[LEVEL]).toEqual({
      Heavy: 2, // bob (up) and eve (adopted); ann went down to Moderate
      Moderate: 2,
      Light: 1,
    });
    expect(describeUser(store, "eve@example.com", "2026-11-03T00:00:00Z")?.user.attributes).toEqual(
      { Coder: "Active", [LEVEL]: "Heavy" },
    );
    expect(describeUser(store, "eve@example.com", "2026-11-02T00:00:00Z")?.user.attributes).toEqual(
      {},
    );
  });

  it("gives the cohort on each of many dates in one pass, as the report gives each date", () => {
    const store = history();
    const dates = ["2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"].map(
      (d) => `${d}T23:59:59.999Z`,
    );
    const series = cohortSeries(store, dates);
    expect(series.groups[LEVEL]).toEqual({
      Heavy: [0, 1, 1, 1],
      Light: [0, 1, 1, 1],
      Moderate: [0, 1, 2, 1],
      None: [0, 0, 0, 1],
    });
    dates.forEach((date, i) => {
      const nonZero = Object.fromEntries(
        Object.entries(series.groups[LEVEL] ?? {})
          .map(([value, line]) => [value, line[i]])
          .filter(([, n]) => n !== 0),
      );
      expect(nonZero).toEqual(cohortCounts(store, date).groups[LEVEL] ?? {});
    });
  });

  it("gives the movement between two dates as a from→to matrix, with ups, downs and joiners", () => {
    const movement = cohortMovement(
      history(),
      { from: "2026-11-01T23:59:59.999Z", to: "2026-11-03T23:59:59.999Z" },
      valueOrders(aConfig()),
    );
    expect(movement.groups[LEVEL]).toEqual({
      matrix: {
        Heavy: { Moderate: 1 },
        Light: { Heavy: 1 },
        Moderate: { None: 1 },
        "(none)": { Light: 1 },
      },
      up: 1,
      down: 2,
      joined: 1,
      left: 0,
      same: 0,
    });
    expect(movement.groups.Coder?.matrix).toEqual({
      Active: { Active: 2, "Former user": 1 },
      "(none)": { Active: 1 },
    });
  });
});
