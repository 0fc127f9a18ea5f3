import { describe, expect, it } from "vitest";
import { parseTime, timeParameter } from "./time";

describe("parseTime", () => {
  it("reads a date alone as a whole UTC day, whichever end it bounds", () => {
    expect(parseTime("2026-11-20", "since")).toBe("2026-11-20T00:00:00.000Z");
    expect(parseTime("2026-11-20", "until")).toBe("2026-11-21T00:00:00.000Z");
    expect(parseTime("2026-11-20", "at")).toBe("2026-11-20T23:59:59.999Z");
    expect(parseTime("2026-12-31", "until")).toBe("2027-01-01T00:00:00.000Z");
  });

  it("reads times with and without an offset, a time without one being UTC", () => {
    expect(parseTime("2026-11-20T10:00", "since")).toBe("2026-11-20T10:00:00.000Z");
    expect(parseTime("2026-11-20 10:00:30Z", "until")).toBe("2026-11-20T10:00:30.000Z");
    expect(parseTime("2026-11-20T10:00:00.25+01:30", "at")).toBe("2026-11-20T08:30:00.250Z");
    expect(parseTime("2026-11-20T01:00:00-0200", "at")).toBe("2026-11-20T03:00:00.000Z");
  });

  it("refuses impossible dates and anything that is not a date, which Date.parse accepts", () => {
    for (const bad of [
      "2026-02-30",
      "2025-02-29",
      "2026-13-01",
      "2026-11-20T25:00",
      "2026-11-20T10:60",
      "abc 2026",
      "yesterday",
      "20261120",
      "",
    ]) {
      expect(parseTime(bad, "since"), bad).toBeNull();
    }
    expect(parseTime("2024-02-29", "since")).toBe("2024-02-29T00:00:00.000Z");
  });

  it("gives a message that shows the expected forms", () => {
    const result = timeParameter("since").safeParse("2026-02-30");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain("2026-11-20");
  });
});
