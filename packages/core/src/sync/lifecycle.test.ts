import { describe, expect, it } from "vitest";
import { planDigest } from "../domain/plan";
import { simulatedSync } from "../testing/simulated-sync";
import { preparePlan } from "./prepare-plan";

/**
 * The identity and lifecycle rules and the brakes, through a whole run over loopback: what DX
 * ends up holding, not only what the plan says (plan.test.ts and guard.test.ts hold the rules
 * themselves). The CLI's own e2e tests keep to exit codes, flags and signals.
 */
describe("identity and lifecycle, through a run", () => {
  it("lands overrides and domain rewrites on the right DX users, and never writes excluded people", async () => {
    const s = await simulatedSync({
      identities: {
        overrides: { jdoe: "john.doe@example.com" },
        domainRewrites: { "corp.example.net": "example.com" },
        exclude: ["*@contractors.example.com", "test-*"],
      },
    });
    s.coder.addUser({ username: "jdoe", email: "jd@legacy.example.org" });
    s.coder.addUser({ username: "carol", email: "Carol@Corp.Example.NET" });
    s.coder.addUser({ username: "pat", email: "pat@contractors.example.com" });
    s.coder.addUser({ username: "test-runner", email: "runner@example.com" });
    for (const email of [
      "john.doe@example.com",
      "carol@example.com",
      "pat@contractors.example.com",
      "runner@example.com",
    ])
      s.dx.addUser({ email });
    const { run } = await s.sync();
    expect(run.counts).toMatchObject({ applied: 2, excluded: 3 }); // + the token owner
    expect(s.dx.writes.map((w) => w.email).sort()).toEqual([
      "carol@example.com",
      "john.doe@example.com",
    ]);
    expect(s.dx.attributesOf("john.doe@example.com")).toEqual({
      Coder: "Active",
      "Coder usage level": "None",
    });
  });

  it("writes a merged pair once, with the best status and summed usage, and says so", async () => {
    const s = await simulatedSync();
    s.coder.addUser({ username: "dana", status: "suspended", usageSeconds: 6 * 3600 });
    s.dx.addUser({ email: "dana@example.com" });
    s.coder.addUser({
      username: "dana-admin",
      email: "DANA@example.com",
      status: "active",
      usageSeconds: 5 * 3600,
    });
    const { plan } = await s.sync();
    expect(s.dx.writesTo("dana@example.com")).toHaveLength(1);
    expect(s.dx.attributesOf("dana@example.com")).toEqual({
      Coder: "Active",
      "Coder usage level": "Moderate",
    });
    const dana = plan?.entries.find((e) => e.email === "dana@example.com");
    expect(dana?.note).toMatch(/merged 2 Coder accounts \(dana(-admin)?, dana(-admin)?\)/);
  });

  it("re-keys a person whose email changed: new email written, old one retired, both audited", async () => {
    const s = await simulatedSync();
    s.person("alice");
    await s.sync();
    const alice = s.coder.findUser("alice");
    s.coder.updateUser(alice.id, { email: "alice.smith@example.com" });
    s.dx.addUser({ email: "alice.smith@example.com" });
    const { run } = await s.sync();
    expect(run.counts).toMatchObject({ changed: 2, applied: 2 });
    expect(s.dx.attributesOf("alice.smith@example.com")).toMatchObject({ Coder: "Active" });
    expect(s.dx.attributesOf("alice@example.com")).toMatchObject({ Coder: "Former user" });
    expect(s.rows(run.id).map((c) => [c.email, c.action, c.note])).toEqual(
      expect.arrayContaining([
        ["alice.smith@example.com", "set", null],
        ["alice@example.com", "retire", "email changed to alice.smith@example.com"],
      ]),
    );
  });

  it.each(["overwrite", "respect"] as const)("meets drift with drift: %s", async (drift) => {
    const s = await simulatedSync({ drift });
    s.person("erin");
    await s.sync();
    const erin = s.dx.users.get("erin@example.com");
    if (!erin) throw new Error("erin missing");
    s.dx.setAttribute(erin, "Coder", "Dormant"); // edited by hand in DX
    const { run } = await s.sync();
    expect(run.counts.drift).toBe(1);
    expect(s.dx.attributesOf("erin@example.com").Coder).toBe(
      drift === "overwrite" ? "Active" : "Dormant",
    );
  });

  it("gives DX users with no Coder account the nonUsers value", async () => {
    const s = await simulatedSync({ nonUsers: "Non-user" });
    s.person("frank");
    s.dx.addUser({ email: "sales@example.com", attributes: { Department: "Sales" } });
    await s.sync();
    expect(s.dx.attributesOf("sales@example.com")).toEqual({
      Department: "Sales",
      Coder: "Non-user",
    });
  });
});

describe("the brakes, through a run", () => {
  it("halts a mass removal with nothing written and the plan recorded, and force applies it", async () => {
    const s = await simulatedSync();
    const people = Array.from({ length: 20 }, (_, i) => s.person(`p${i}`));
    await s.sync();
    for (const email of people.slice(0, 8))
      s.coder.removeUser(s.coder.findUser(email.split("@")[0] as string).id);
    const before = s.dx.writes.length;
    const halted = await s.sync();
    expect(halted.run).toMatchObject({ status: "halted", error: { code: "halted" } });
    expect(halted.run.error?.message).toContain("retires or clears 8 of 20 tracked users");
    expect(s.dx.writes.length).toBe(before);
    expect(s.rows(halted.run.id).filter((r) => r.outcome === "planned")).toHaveLength(8);
    const forced = await s.sync({ force: true });
    expect(forced.run.counts).toMatchObject({ applied: 8 });
    expect(s.dx.attributesOf("p0@example.com").Coder).toBe("Former user");
  });

  it("halts on an attribute group DX does not have (a typo) unless allowed", async () => {
    const s = await simulatedSync({ groups: { status: { name: "Codr" } } });
    s.person("gina");
    const { run } = await s.sync();
    expect(run.status).toBe("halted");
    expect(run.error?.message).toContain('"Codr"');
    expect(s.dx.writes).toHaveLength(0);
  });

  it("halts when the Coder listing shrank below minSourceRatio of the last run", async () => {
    const s = await simulatedSync({ safety: { maxRemovals: 1000 } });
    const people = Array.from({ length: 10 }, (_, i) => s.person(`q${i}`));
    await s.sync();
    for (const email of people.slice(0, 7))
      s.coder.removeUser(s.coder.findUser(email.split("@")[0] as string).id);
    const { run } = await s.sync();
    expect(run.status).toBe("halted");
    expect(run.error?.message).toMatch(
      /Coder listed 4 users, under safety.minSourceRatio=0.5 × the last run's 11/,
    );
  });

  it("fails with nothing written when the Coder listing fails or is cut short, and force does not override it", async () => {
    const s = await simulatedSync({ coder: { maxAttempts: 1 } });
    s.person("hank");
    s.coder.faults.add({
      match: /GET \/api\/v2\/users$/,
      status: 500,
      contentType: "text/html",
      body: "<html>Internal error</html>",
    });
    const failed = await s.sync({ force: true });
    expect(failed.run).toMatchObject({ status: "failed", error: { code: "coder_unavailable" } });
    expect(failed.run.error?.message).toContain("Internal error");
    s.coder.faults.clear();
    s.coder.faults.add({
      match: /GET \/api\/v2\/users$/,
      status: 200,
      body: JSON.stringify({ users: [], count: 2 }),
    });
    const truncated = await s.sync({ force: true });
    expect(truncated.run.error).toMatchObject({ code: "listing_incomplete" });
    expect(s.dx.writes).toHaveLength(0);
  });
});

describe("saved plans, through a run", () => {
  it("applies a plan still true, and refuses one that went stale, writing nothing", async () => {
    const s = await simulatedSync();
    s.person("ivy");
    const saved = planDigest((await preparePlan({ ...s.clients(), store: s.store }, s)).plan);
    const applied = await s.sync({ expectedDigest: saved });
    expect(applied.run.status).toBe("succeeded");
    expect(s.dx.attributesOf("ivy@example.com").Coder).toBe("Active");

    const ivy = s.coder.findUser("ivy");
    s.coder.updateUser(ivy.id, { usageSeconds: 50 * 3600 });
    const reviewed = planDigest((await preparePlan({ ...s.clients(), store: s.store }, s)).plan);
    s.coder.updateUser(ivy.id, { status: "suspended" });
    const before = s.dx.writes.length;
    const stale = await s.sync({ expectedDigest: reviewed });
    expect(stale.run).toMatchObject({ status: "failed", error: { code: "plan_stale" } });
    expect(s.dx.writes.length).toBe(before);
  });
});
