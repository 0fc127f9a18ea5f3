import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../config/schema";
import { aCoderUser, aConfig, aDxUser, aUserState } from "../testing/builders";
import type { CoderUser } from "./coder-user";
import type { DxObservedUser } from "./dx-user";
import { mapCoderUsers } from "./mapping";
import { type PlanInput, planSync, type UserState } from "./plan";

const NOW = new Date("2026-11-22T06:00:00Z");

function plan(
  users: CoderUser[],
  options: {
    dx?: DxObservedUser[] | null;
    state?: UserState[];
    config?: ConfigInput;
    emails?: string[];
    usage?: Record<string, number>;
    only?: "status";
  } = {},
) {
  const config = aConfig(options.config);
  const input: PlanInput = {
    mapped: mapCoderUsers({
      users,
      usageSeconds: new Map(Object.entries(options.usage ?? {})),
      tokenOwnerId: null,
      config,
    }),
    observed: options.dx === null ? null : new Map((options.dx ?? []).map((u) => [u.email, u])),
    state: new Map((options.state ?? []).map((s) => [s.email, s])),
    config,
    emails: options.emails ? new Set(options.emails) : null,
    now: NOW,
    only: options.only,
  };
  const result = planSync(input);
  return { ...result, byEmail: Object.fromEntries(result.entries.map((e) => [e.email, e])) };
}

const ACTIVE_NONE = { Coder: "Active", "Coder usage level": "None" };

describe("planSync", () => {
  it("sets every owned group for someone DX has no values for", () => {
    const alice = aCoderUser();
    const { byEmail, counts } = plan([alice], { dx: [aDxUser(alice.email)] });
    expect(byEmail[alice.email]).toMatchObject({
      action: "set",
      attributes: { before: { Coder: null, "Coder usage level": null }, after: ACTIVE_NONE },
    });
    expect(counts).toMatchObject({ users: 1, changed: 1, unchanged: 0 });
  });

  it("writes nothing when DX already holds the desired values, matching group names case-insensitively", () => {
    const alice = aCoderUser();
    const { byEmail, counts } = plan([alice], {
      dx: [aDxUser(alice.email, { coder: "Active", "CODER USAGE LEVEL": "None" })],
    });
    expect(byEmail[alice.email]).toMatchObject({ action: "unchanged", attributes: null });
    expect(counts.changed).toBe(0);
  });

  it("compares and writes only owned groups, leaving others alone", () => {
    const alice = aCoderUser({ status: "dormant" });
    const { byEmail } = plan([alice], {
      dx: [
        aDxUser(alice.email, {
          Department: "Payments",
          Coder: "Active",
          "Coder usage level": "None",
        }),
      ],
    });
    expect(byEmail[alice.email]?.attributes?.after).toEqual({
      Coder: "Dormant",
      "Coder usage level": "None",
    });
    expect(byEmail[alice.email]?.action).toBe("change");
  });

  it("falls back to the last pushed state for users DX's listing omits", () => {
    const hidden = aCoderUser();
    const pushed = aUserState(hidden.email, ACTIVE_NONE, { coderUserId: hidden.id });
    expect(plan([hidden], { dx: [], state: [pushed] }).byEmail[hidden.email]?.action).toBe(
      "unchanged",
    );
    const moved = plan([hidden], { dx: [], state: [pushed], usage: { [hidden.id]: 12 * 3600 } })
      .byEmail[hidden.email];
    expect(moved).toMatchObject({
      action: "change",
      attributes: {
        before: ACTIVE_NONE,
        after: { Coder: "Active", "Coder usage level": "Moderate" },
      },
    });
  });

  it("counts drift and overwrites it by default, or leaves it with drift: respect", () => {
    const alice = aCoderUser();
    const dx = [aDxUser(alice.email, { Coder: "Dormant", "Coder usage level": "None" })];
    const state = [aUserState(alice.email, ACTIVE_NONE, { coderUserId: alice.id })];
    const overwrite = plan([alice], { dx, state });
    expect(overwrite.byEmail[alice.email]).toMatchObject({
      action: "change",
      drift: true,
      attributes: { after: ACTIVE_NONE },
    });
    expect(overwrite.counts.drift).toBe(1);
    const respect = plan([alice], { dx, state, config: { drift: "respect" } });
    expect(respect.byEmail[alice.email]).toMatchObject({
      action: "drift",
      drift: true,
      attributes: null,
    });
    expect(respect.counts.changed).toBe(0);
  });

  it("marks people who left Coder as former users by default", () => {
    const gone = aUserState("gone@example.com", ACTIVE_NONE);
    const { byEmail, counts } = plan([], { dx: [], state: [gone] });
    expect(byEmail["gone@example.com"]).toMatchObject({
      action: "retire",
      note: "no longer in Coder",
      attributes: {
        before: ACTIVE_NONE,
        after: { Coder: "Former user", "Coder usage level": "None" },
      },
    });
    expect(counts).toMatchObject({ removals: 1, tracked: 1 });
  });

  it("retires a former user once, then leaves them be", () => {
    const retired = aUserState("gone@example.com", {
      Coder: "Former user",
      "Coder usage level": "None",
    });
    const { entries, counts } = plan([], { dx: [], state: [retired] });
    expect(entries).toEqual([]);
    expect(counts).toMatchObject({ removals: 0, tracked: 0 });
  });

  it("clears or ignores leavers as configured", () => {
    const gone = aUserState("gone@example.com", ACTIVE_NONE);
    expect(
      plan([], { state: [gone], config: { deprovision: "clear" } }).byEmail["gone@example.com"],
    ).toMatchObject({
      action: "clear",
      attributes: { after: { Coder: null, "Coder usage level": null } },
    });
    expect(plan([], { state: [gone], config: { deprovision: "ignore" } }).entries).toEqual([]);
  });

  it("re-keys a person whose Coder email changed: sets the new email and retires the old", () => {
    const alice = aCoderUser({ email: "alice@new.example" });
    const old = aUserState("alice@old.example", ACTIVE_NONE, { coderUserId: alice.id });
    const { byEmail } = plan([alice], { dx: [], state: [old] });
    expect(byEmail["alice@new.example"]?.action).toBe("set");
    expect(byEmail["alice@old.example"]).toMatchObject({
      action: "retire",
      note: "email changed to alice@new.example",
    });
  });

  it("never retires someone who is still in Coder but excluded or invalid", () => {
    const bot = aCoderUser({ email: "bot@example.com", is_service_account: true });
    const state = [aUserState("bot@example.com", ACTIVE_NONE, { coderUserId: bot.id })];
    const { byEmail } = plan([bot], { state });
    expect(byEmail["bot@example.com"]).toMatchObject({ action: "excluded", attributes: null });
  });

  it("says when accounts were merged", () => {
    const a = aCoderUser({ username: "dana", email: "dana@example.com" });
    const b = aCoderUser({ username: "dana-admin", email: "Dana@Example.com" });
    const { entries, counts } = plan([a, b], { dx: [] });
    expect(entries).toHaveLength(1);
    expect(entries[0]?.note).toMatch(/^merged 2 Coder accounts \(dana(-admin)?, dana(-admin)?\)$/);
    expect(counts.users).toBe(2);
  });

  it("counts add up: users = unchanged + changed + invalid + excluded + merged", () => {
    const users = [
      aCoderUser({ username: "dana", email: "dana@example.com" }),
      aCoderUser({ username: "dana-admin", email: "Dana@Example.com" }),
      aCoderUser({ username: "eve", email: "eve@example.com" }),
      aCoderUser({ username: "bad", email: "not-an-email" }),
      aCoderUser({ username: "bot", email: "bot@example.com", is_service_account: true }),
    ];
    const state = [
      aUserState("eve@example.com", ACTIVE_NONE),
      aUserState("gone@example.com", ACTIVE_NONE), // a former user: retired
    ];
    const { counts } = plan(users, {
      state,
      dx: [aDxUser("eve@example.com", ACTIVE_NONE), aDxUser("lee@example.com")],
      config: { nonUsers: "Non-user" },
    });
    expect(counts).toMatchObject({ merged: 1, invalid: 1, excluded: 1, unchanged: 1, changed: 3 });
    expect(counts.users).toBe(
      counts.unchanged + counts.changed + counts.invalid + counts.excluded + counts.merged,
    );
    expect(counts.users).toBe(7); // dana (2 accounts), eve, bad, bot, gone, lee
  });

  it("gives DX users with no Coder account the nonUsers value when configured", () => {
    const alice = aCoderUser();
    const dx = [
      aDxUser(alice.email),
      aDxUser("lee@example.com", { Department: "Data" }),
      aDxUser("kim@example.com", { coder: "Non-user" }),
    ];
    expect(plan([alice], { dx }).byEmail["lee@example.com"]).toBeUndefined();
    const { byEmail } = plan([alice], { dx, config: { nonUsers: "Non-user" } });
    expect(byEmail["lee@example.com"]).toMatchObject({
      action: "set",
      attributes: { after: { Coder: "Non-user" } },
    });
    expect(byEmail["kim@example.com"]).toMatchObject({ action: "unchanged", attributes: null });
  });

  it("limits everything to the given emails", () => {
    const alice = aCoderUser();
    const bob = aCoderUser();
    const gone = aUserState("gone@example.com", ACTIVE_NONE);
    const { entries } = plan([alice, bob], { dx: [], state: [gone], emails: [bob.email] });
    expect(entries.map((e) => e.email)).toEqual([bob.email]);
  });

  it("waits a day before offering DX an email it refused as unknown, unless the values change", () => {
    const alice = aCoderUser();
    const refused = (hoursAgo: number) =>
      aUserState(
        alice.email,
        {},
        {
          coderUserId: alice.id,
          unmatchedAt: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString(),
          unmatchedAttributes: ACTIVE_NONE,
        },
      );
    expect(plan([alice], { dx: [], state: [refused(2)] }).byEmail[alice.email]?.action).toBe(
      "unmatched",
    );
    expect(plan([alice], { dx: [], state: [refused(25)] }).byEmail[alice.email]?.action).toBe(
      "set",
    );
    expect(
      plan([alice], { dx: [], state: [refused(2)], usage: { [alice.id]: 3600 } }).byEmail[
        alice.email
      ]?.action,
    ).toBe("set");
  });

  it("plans opt-in properties against what was last pushed", () => {
    const octo = aCoderUser({ username: "octo", login_type: "github" });
    const config: ConfigInput = {
      properties: [{ name: "github_username", from: "username", when: { loginType: "github" } }],
    };
    const first = plan([octo], { dx: [aDxUser(octo.email, ACTIVE_NONE)], config });
    expect(first.byEmail[octo.email]).toMatchObject({
      action: "change",
      attributes: null,
      properties: { after: { github_username: "octo" } },
    });
    const state = [
      aUserState(octo.email, ACTIVE_NONE, {
        coderUserId: octo.id,
        properties: { github_username: "octo" },
      }),
    ];
    expect(
      plan([octo], { dx: [aDxUser(octo.email, ACTIVE_NONE)], state, config }).byEmail[octo.email]
        ?.action,
    ).toBe("unchanged");
  });
});

describe("planSync, status only (the status pass, Coder's notifications)", () => {
  const HEAVY = { Coder: "Active", "Coder usage level": "Heavy" };

  it("writes the status group alone when Coder's status differs from what was pushed, and nothing for usage", () => {
    const ann = aCoderUser({ status: "suspended" });
    const { byEmail, counts } = plan([ann], {
      dx: null,
      state: [aUserState(ann.email, HEAVY, { coderUserId: ann.id })],
      only: "status",
    });
    expect(byEmail[ann.email]).toMatchObject({
      action: "change",
      evidence: null,
      attributes: { before: { Coder: "Active" }, after: { Coder: "Suspended" } },
      properties: null,
    });
    expect(counts).toMatchObject({ changed: 1 });
  });

  it("leaves a person whose status is unchanged alone, whatever their usage now", () => {
    const bob = aCoderUser();
    const { entries, counts, holdUpdates } = plan([bob], {
      dx: null,
      state: [aUserState(bob.email, HEAVY, { coderUserId: bob.id })],
      config: { groups: { usage: { downgradeAfterDays: 7 } } },
      only: "status",
    });
    // Counted, not kept: a pass over everyone holds no entry for the many left as they are.
    expect(entries).toEqual([]);
    expect(counts).toMatchObject({ users: 1, unchanged: 1, changed: 0 });
    expect(holdUpdates).toEqual([]);
  });

  it("sets a new hire's status only: usage is for the next full run", () => {
    const cy = aCoderUser();
    const { byEmail } = plan([cy], { dx: null, only: "status" });
    expect(byEmail[cy.email]?.attributes).toEqual({
      before: { Coder: null },
      after: { Coder: "Active" },
    });
  });

  it("retires someone who left with every former value, once", () => {
    const gone = aUserState("gone@example.com", HEAVY);
    const first = plan([], { dx: null, state: [gone], only: "status" });
    expect(first.byEmail["gone@example.com"]?.attributes?.after).toEqual({
      Coder: "Former user",
      "Coder usage level": "None",
    });
    const retired = aUserState("gone@example.com", {
      Coder: "Former user",
      "Coder usage level": "None",
    });
    expect(plan([], { dx: null, state: [retired], only: "status" }).entries).toEqual([]);
  });
});
