import { describe, expect, it } from "vitest";
import { aChangeRow, aDxUser } from "../testing/builders";
import type { ChangeRow } from "../ports";
import {
  classifyWriteFailure,
  finalStatus,
  judgeAttributeWrite,
  judgePropertyWrite,
  RECONCILED_NOTE,
  reconcilePending,
} from "./write-outcome";

const attr = (name: string, value: string | null, updated = true) => ({ name, value, updated });

describe("judgeAttributeWrite (DX's 200 to users.attributes.update)", () => {
  it("confirms sent groups DX holds, whatever the updated flags and the other groups say", () => {
    const verdict = judgeAttributeWrite(
      { Coder: "Active", "Coder usage level": "Heavy" },
      {
        failures: [],
        attributes: [
          attr("Department", "Data", false),
          attr("Coder", "Active", false), // already right: DX did not change it
          attr("coder usage level", "Heavy", true), // DX's first spelling of the group
        ],
      },
    );
    expect(verdict).toEqual({
      confirmed: { Coder: "Active", "Coder usage level": "Heavy" },
      refused: [],
    });
  });

  it("confirms a null by the group's absence, and refuses a value DX does not hold", () => {
    const verdict = judgeAttributeWrite(
      { Coder: null, "Coder usage level": "Heavy", Extra: "x", Gone: null },
      { failures: [], attributes: [attr("Coder usage level", "Light"), attr("Gone", "still")] },
    );
    expect(verdict.confirmed).toEqual({ Coder: null });
    expect(verdict.refused).toEqual([
      { name: "Coder usage level", reason: 'DX holds "Light", not "Heavy"' },
      { name: "Extra", reason: "DX's answer does not hold this group" },
      { name: "Gone", reason: 'DX still holds "still"' },
    ]);
  });

  it("refuses a group a failures entry names, and every group when an entry names none", () => {
    const named = judgeAttributeWrite(
      { Coder: "Active", Level: "Heavy" },
      {
        failures: [{ name: "coder", error: "attribute_locked" }],
        attributes: [attr("Coder", "Active"), attr("Level", "Heavy")],
      },
    );
    expect(named.confirmed).toEqual({ Level: "Heavy" });
    expect(named.refused[0]?.reason).toContain("attribute_locked");
    const anonymous = judgeAttributeWrite(
      { Coder: "Active" },
      { failures: [{ error: "something" }], attributes: [attr("Coder", "Active")] },
    );
    expect(anonymous.confirmed).toEqual({});
    expect(anonymous.refused[0]?.reason).toContain("naming no group");
  });
});

describe("judgePropertyWrite (DX's 200 to users.update)", () => {
  it("takes ok as acceptance unless the echo shows another value", () => {
    expect(judgePropertyWrite({ github_username: "kim" }, undefined).refused).toEqual([]);
    expect(judgePropertyWrite({ github_username: "kim" }, { email: "k@x.io" }).refused).toEqual([]);
    expect(
      judgePropertyWrite({ github_username: null }, { github_username: null }).refused,
    ).toEqual([]);
    expect(
      judgePropertyWrite({ github_username: "kim" }, { github_username: "someone" }).refused,
    ).toHaveLength(1);
  });
});

describe("classifyWriteFailure", () => {
  const rejected = (upstreamCode: string, status = 404) => ({
    code: "dx_rejected" as const,
    message: `DX → ${status}: ${upstreamCode}`,
    details: { upstreamCode },
  });

  it("decides unknown users by the read-back, not by the status code", () => {
    expect(classifyWriteFailure(rejected("invalid_payload", 422), false)).toMatchObject({
      outcome: "unmatched",
      error: { code: "dx_unknown_user" },
      stop: false,
    });
    expect(classifyWriteFailure(rejected("not_found"), true)).toMatchObject({
      outcome: "rejected",
      stop: false,
    });
  });

  it("trusts only codes that say so when there is no read-back", () => {
    expect(classifyWriteFailure(rejected("user_not_found"), null).outcome).toBe("unmatched");
    expect(classifyWriteFailure(rejected("invalid_payload", 422), null).outcome).toBe("rejected");
  });

  it("stops the run for a refused token, a wrong URL, a bad certificate, and an aborted write", () => {
    for (const code of ["dx_unauthorized", "dx_url_invalid", "dx_tls"] as const)
      expect(classifyWriteFailure({ code, message: "m" }, true)).toMatchObject({
        outcome: "skipped",
        stop: true,
      });
    expect(classifyWriteFailure({ code: "interrupted", message: "m" }, true)).toMatchObject({
      outcome: "pending",
      stop: true,
    });
    expect(classifyWriteFailure({ code: "dx_unavailable", message: "m" }, true)).toMatchObject({
      outcome: "rejected",
      stop: false,
    });
  });
});

describe("reconcilePending", () => {
  const pending = (overrides: Partial<ChangeRow> = {}): ChangeRow => ({
    ...aChangeRow({ after: { Coder: "Active", "Coder usage level": null } }),
    id: "7",
    evidence: null,
    ...overrides,
  });
  const at = "2026-11-22T00:00:00.000Z";

  it("settles as applied what DX's listing shows, with the values it holds", () => {
    const receipt = reconcilePending(
      pending(),
      aDxUser("alice@example.com", { coder: "Active" }),
      at,
    );
    expect(receipt).toMatchObject({
      changeId: "7",
      outcome: "applied",
      note: RECONCILED_NOTE,
      state: { type: "confirmed", values: { Coder: "Active", "Coder usage level": null } },
    });
  });

  it("settles the rest as skipped: not listed, listed otherwise, or no read-back", () => {
    for (const seen of [undefined, aDxUser("alice@example.com", { coder: "Dormant" }), null]) {
      const receipt = reconcilePending(pending(), seen, at);
      expect(receipt.outcome).toBe("skipped");
      expect(receipt.state).toBeUndefined();
    }
  });

  it("confirms a github_username property by the listing, and no other property", () => {
    const seen = { ...aDxUser("alice@example.com"), githubUsername: "alice" };
    const row = pending({ kind: "properties", after: { github_username: "alice" } });
    expect(reconcilePending(row, seen, at).outcome).toBe("applied");
    const start = pending({ kind: "properties", after: { start_date: "2026-01-01" } });
    expect(reconcilePending(start, seen, at).outcome).toBe("skipped");
  });
});

describe("finalStatus", () => {
  it("is the stop's status, else partial when anyone was rejected, else succeeded", () => {
    const stop = {
      status: "interrupted" as const,
      error: { code: "interrupted" as const, message: "" },
    };
    expect(finalStatus({ rejected: 3 }, stop)).toBe("interrupted");
    expect(finalStatus({ rejected: 3 }, null)).toBe("partial");
    expect(finalStatus({ rejected: 0 }, null)).toBe("succeeded");
  });
});
