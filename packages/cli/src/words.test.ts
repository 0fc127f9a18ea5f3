import { describe, expect, it } from "vitest";
import { formatTable } from "./output";
import { formatTime, painter, plural } from "./words";

describe("the CLI's words", () => {
  it("counts with the right noun, and writes every time one way", () => {
    expect([plural(1, "write"), plural(3, "write"), plural(1200, "person", "people")]).toEqual([
      "1 write",
      "3 writes",
      "1,200 people",
    ]);
    expect(formatTime("2026-12-06T08:45:12.345Z")).toBe("2026-12-06 08:45:12 UTC");
    expect(formatTime("2026-12-06T09:45:12+01:00")).toBe("2026-12-06 08:45:12 UTC");
    expect(formatTime(null)).toBe("-");
  });

  it("paints only for a terminal, never with NO_COLOR or TERM=dumb, always with FORCE_COLOR", () => {
    const tty = { isTTY: true };
    expect(painter(tty, {})("green", "ok")).toBe("\u001b[32mok\u001b[39m");
    expect(painter(tty, { NO_COLOR: "" })("green", "ok")).toBe("ok");
    expect(painter(tty, { TERM: "dumb" })("green", "ok")).toBe("ok");
    expect(painter({ isTTY: false }, {})("green", "ok")).toBe("ok");
    expect(painter({ isTTY: false }, { FORCE_COLOR: "1" })("green", "ok")).toBe(
      "\u001b[32mok\u001b[39m",
    );
  });

  it("right-aligns numbers and quantities, and measures coloured cells by what shows", () => {
    const paint = painter({ isTTY: true }, {});
    expect(
      formatTable(
        ["RUN", "STATUS", "TOOK", "USERS"],
        [
          ["9", paint("green", "succeeded"), "933 ms", 1200],
          ["10", "halted", "1.3 s", 4],
        ],
      ).split("\n"),
    ).toEqual([
      "RUN  STATUS       TOOK  USERS",
      `  9  ${paint("green", "succeeded")}  933 ms   1200`,
      " 10  halted      1.3 s      4",
    ]);
  });
});
