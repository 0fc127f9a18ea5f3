import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeIssue, nearest, type ZodIssueLike } from "./describe-issue";

const issueOf = (schema: z.ZodType, value: unknown) =>
  schema.safeParse(value).error?.issues[0] as ZodIssueLike;

describe("describeIssue: input problems in coder-dx's words", () => {
  it("never passes on the schema library's defaults", () => {
    const limit = z.coerce.number().int().min(1).max(1000);
    expect(describeIssue(issueOf(limit, "abc"), "abc")).toBe("must be a number");
    expect(describeIssue(issueOf(limit, "1.5"), "1.5")).toBe("must be a whole number");
    expect(describeIssue(issueOf(limit, "0"), "0")).toBe("must be at least 1");
    expect(describeIssue(issueOf(limit, "5000"), "5000")).toBe("must be at most 1000");
    expect(describeIssue(issueOf(z.string().min(1), ""), "")).toBe("must not be empty");
    expect(describeIssue(issueOf(z.object({}).strict(), { colour: 1 }), undefined)).toBe(
      'unknown "colour"',
    );
  });

  it("names an enumeration's values, and the one most likely meant", () => {
    const outcome = z.enum(["applied", "rejected", "planned"]);
    expect(describeIssue(issueOf(outcome, "aplied"), "aplied")).toBe(
      "did you mean applied? (one of applied, rejected, planned)",
    );
    expect(describeIssue(issueOf(outcome, "zzz"), "zzz")).toBe(
      "must be one of applied, rejected, planned",
    );
    // A message the schema wrote itself is kept.
    expect(
      describeIssue(
        issueOf(
          z.string().refine(() => false, "not a plan"),
          "x",
        ),
        "x",
      ),
    ).toBe("not a plan");
  });

  it("suggests by prefix or by a few edits, never a wild guess", () => {
    expect(nearest("rej", ["applied", "rejected"])).toBe("rejected");
    expect(nearest("sycn", ["sync", "plan"])).toBe("sync");
    expect(nearest("xyz", ["sync", "plan"])).toBeNull();
  });
});
