import { describe, expect, it } from "vitest";
import { type BudgetMember, lookAtMembers } from "./budget-members";

const terms = { activeMs: 2_000, joinDelayMs: 1_500 };
const member = (
  holder: string,
  activeFrom: number,
  seenAt: number,
  leftAt: number | null = null,
): BudgetMember => ({ holder, activeFrom, seenAt, leftAt });

describe("lookAtMembers (who shares the account's DX budget)", () => {
  it("lets a newcomer alone send at once, and one beside others only after the delay", () => {
    expect(lookAtMembers([], "cli", 1_000, terms)).toEqual({
      gone: [],
      self: member("cli", 1_000, 1_000),
      membership: { members: 1, activeFrom: 1_000 },
    });
    // serve arrives while cli is there: cli needs time to narrow its share first.
    expect(lookAtMembers([member("cli", 1_000, 1_000)], "serve", 1_100, terms).membership).toEqual({
      members: 2,
      activeFrom: 2_600,
    });
  });

  it("keeps a member's start when it looks again, and counts a newcomer still waiting", () => {
    const current = [member("cli", 1_000, 1_000), member("serve", 2_600, 1_100)];
    expect(lookAtMembers(current, "cli", 1_200, terms)).toEqual({
      gone: [],
      self: member("cli", 1_000, 1_200),
      membership: { members: 2, activeFrom: 1_000 },
    });
  });

  it("takes a member not seen for activeMs as gone (its last request has left every window)", () => {
    const current = [member("cli", 1_000, 1_200), member("serve", 500, 1_100)];
    // serve last looked at 1,100: at 3,100 it has been away activeMs, not less.
    expect(lookAtMembers(current, "cli", 3_099, terms).membership.members).toBe(2);
    expect(lookAtMembers(current, "cli", 3_100, terms)).toEqual({
      gone: ["serve"],
      self: member("cli", 1_000, 3_100),
      membership: { members: 1, activeFrom: 1_000 },
    });
    // A newcomer waiting for its start is counted until activeMs after it, looking or not.
    const waiting = [member("cli", 1_000, 6_000), member("serve", 4_700, 3_200)];
    expect(lookAtMembers(waiting, "cli", 6_600, terms).membership.members).toBe(2);
    expect(lookAtMembers(waiting, "cli", 6_700, terms).gone).toEqual(["serve"]);
    // A member that was away that long itself joins anew, beside those still here.
    const back = [member("cli", 1_000, 3_100), member("serve", 500, 1_100)];
    expect(lookAtMembers(back, "serve", 3_200, terms)).toEqual({
      gone: ["serve"],
      self: member("serve", 4_700, 3_200),
      membership: { members: 2, activeFrom: 4_700 },
    });
  });

  it("lets a newcomer beside members that left send at once, counting them until they go", () => {
    const left = [member("cli", 1_000, 1_900, 1_900)];
    expect(lookAtMembers(left, "serve", 2_000, terms)).toEqual({
      gone: [],
      self: member("serve", 2_000, 2_000),
      membership: { members: 2, activeFrom: 2_000 },
    });
    expect(lookAtMembers(left, "serve", 3_900, terms).membership.members).toBe(1);
  });
});
