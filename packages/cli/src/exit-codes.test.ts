import { describe, expect, it } from "vitest";
import { EXIT, exitCodeForRun } from "./exit-codes";

describe("a run's exit code", () => {
  it("keeps 130/143 for signals: a run that lost its lease exits 1", () => {
    expect(
      exitCodeForRun({
        status: "interrupted",
        dryRun: false,
        error: { code: "lease_lost", message: "another coder-dx process took the lease" },
      }),
    ).toBe(EXIT.failed);
    expect(
      exitCodeForRun({
        status: "interrupted",
        dryRun: false,
        error: { code: "interrupted", message: "SIGTERM" },
      }),
    ).toBe(EXIT.sigterm);
  });

  it("gives partial 3, but 0 for a dry run's, and halted 4", () => {
    expect(exitCodeForRun({ status: "partial", dryRun: false, error: null })).toBe(EXIT.partial);
    expect(exitCodeForRun({ status: "partial", dryRun: true, error: null })).toBe(EXIT.ok);
    expect(exitCodeForRun({ status: "halted", dryRun: true, error: null })).toBe(EXIT.halted);
  });
});
