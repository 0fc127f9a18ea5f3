import { describe, expect, it } from "vitest";
import { simulatedSync } from "../testing/simulated-sync";

const HOUR = 3600;

describe("segments: the template people work in", () => {
  it("takes the template with the most hours (its display name, else its name), ties to the first name, None without usage", async () => {
    const s = await simulatedSync({
      groups: {
        extra: [{ name: "Coder template", from: "template", map: { "gpu-large": "GPU" } }],
      },
      safety: { allowNewGroups: true },
    });
    const web = s.coder.addTemplate({ name: "web", display_name: "Web apps" });
    const gpu = s.coder.addTemplate({ name: "gpu-large", display_name: "GPU (large)" });
    const api = s.coder.addTemplate({ name: "api", display_name: "" });
    const alpha = s.coder.addTemplate({ name: "alpha", display_name: "Alpha" });
    const person = (username: string, usageSeconds: number, shares?: Record<string, number>) => {
      const user = s.coder.addUser({
        username,
        usageSeconds,
        ...(shares ? { templateShares: shares } : {}),
      });
      s.dx.addUser({ email: user.email });
      return user.email;
    };
    const ann = person("ann", 30 * HOUR, { [web.id]: 0.7, [api.id]: 0.3 });
    const bob = person("bob", 20 * HOUR, { [gpu.id]: 0.6, [web.id]: 0.4 });
    const cy = person("cy", 10 * HOUR, { [api.id]: 1 });
    const dee = person("dee", 10 * HOUR, { [web.id]: 0.5, [alpha.id]: 0.5 });
    const eve = person("eve", 0);
    const { run } = await s.sync();
    expect(run.status).toBe("succeeded");
    const template = (email: string) => s.dx.attributesOf(email)["Coder template"];
    expect(template(ann)).toBe("Web apps"); // the display name
    expect(template(bob)).toBe("GPU"); // renamed by the map
    expect(template(cy)).toBe("api"); // no display name: the name
    expect(template(dee)).toBe("Alpha"); // a tie: "alpha" comes before "web"
    expect(template(eve)).toBe("None"); // no usage in the window
    const [row] = s.rows(run.id).filter((r) => r.email === ann);
    expect(row?.evidence?.templates).toEqual([
      { template: "Web apps", hours: 21 },
      { template: "api", hours: 9 },
    ]);
  });

  it("reads one insights report per template: 501 requests more at 500 templates", async () => {
    const config = { groups: { extra: [{ name: "Coder template", from: "template" as const }] } };
    const plain = await simulatedSync();
    const segmented = await simulatedSync(config);
    for (const s of [plain, segmented]) {
      for (let i = 1; i < 500; i++) s.coder.addTemplate({ name: `t${String(i).padStart(3, "0")}` });
      s.person("ann");
      await s.sync();
    }
    expect(segmented.coder.requests.length - plain.coder.requests.length).toBe(501);
    expect(
      segmented.coder.requests.filter((r) => r === "GET /api/v2/insights/user-activity"),
    ).toHaveLength(501);
  });
});

describe("segments: Coder groups and AI seats", () => {
  it("takes the first group the map lists, never Everyone, ignores groups it does not list, None for none", async () => {
    const s = await simulatedSync({
      groups: {
        extra: [
          {
            name: "Team",
            from: "group",
            // The map's order is the priority.
            map: { payments: "Payments", platform: "Platform", Everyone: "All" },
          },
          { name: "AI seat", from: "aiSeat", map: { Yes: "Has an AI seat" } },
        ],
      },
      safety: { allowNewGroups: true },
    });
    const ann = s.coder.addUser({ username: "ann", has_ai_seat: true });
    const bob = s.coder.addUser({ username: "bob" });
    const cy = s.coder.addUser({ username: "cy" });
    for (const u of [ann, bob, cy]) s.dx.addUser({ email: u.email });
    s.coder.addGroup({ name: "platform", members: [ann.id, bob.id] });
    s.coder.addGroup({ name: "payments", members: [ann.id] });
    s.coder.addGroup({ name: "book-club", members: [cy.id] });
    await s.sync();
    expect(s.dx.attributesOf(ann.email)).toMatchObject({
      Team: "Payments",
      "AI seat": "Has an AI seat",
    });
    expect(s.dx.attributesOf(bob.email)).toMatchObject({ Team: "Platform", "AI seat": "No" });
    // In Everyone (as everyone is) and an unlisted group only: none.
    expect(s.dx.attributesOf(cy.email)).toMatchObject({ Team: "None" });
  });

  it("fails before any write when Coder has no licence for groups, naming the feature and the entry", async () => {
    for (const licence of ["forbidden", "absent"] as const) {
      const s = await simulatedSync({
        groups: { extra: [{ name: "Team", from: "group", map: { payments: "Payments" } }] },
      });
      s.person("ann");
      s.coder.groupsLicence = licence;
      const { run } = await s.sync();
      expect(run).toMatchObject({ status: "failed", error: { code: "config_invalid" } });
      expect(run.error?.message).toMatch(/Premium feature \(Template RBAC\).*from: group/);
      expect(s.dx.writes).toEqual([]);
    }
  });

  it("refuses to guess AI seats from a Coder that does not report them (before v2.32)", async () => {
    const s = await simulatedSync({ groups: { extra: [{ name: "AI seat", from: "aiSeat" }] } });
    s.person("ann");
    s.coder.reportsAiSeats = false;
    const { run } = await s.sync();
    expect(run.error).toMatchObject({ code: "config_invalid" });
    expect(run.error?.message).toMatch(/^groups\.extra\.0 \(from: aiSeat\) needs has_ai_seat/);
    expect(s.dx.writes).toEqual([]);
  });
});

describe("safety.maxChangedPercent: an extra group rewriting everyone at once", () => {
  it("halts past the share, not at it, and a template renamed goes through with --force", async () => {
    const s = await simulatedSync({
      groups: { extra: [{ name: "Coder template", from: "template" }] },
      safety: { maxChangedPercent: 50, allowNewGroups: true },
    });
    const web = s.coder.addTemplate({ name: "web", display_name: "Web" });
    const people = Array.from({ length: 10 }, (_, i) =>
      s.coder.addUser({
        username: `p${i}`,
        usageSeconds: 10 * HOUR,
        templateShares: { [web.id]: 1 },
      }),
    );
    for (const p of people) s.dx.addUser({ email: p.email });
    expect((await s.sync()).run.status).toBe("succeeded");
    // Half move to another template: at the share, not past it.
    const api = s.coder.addTemplate({ name: "api", display_name: "API" });
    for (const p of people.slice(0, 5))
      s.coder.updateUser(p.id, { templateShares: { [api.id]: 1 } });
    expect((await s.sync()).run.status).toBe("succeeded");
    // Web renamed (its five move) and one more person back on it: six, past half.
    const writes = s.dx.writes.length;
    s.coder.templates.set(web.id, { ...web, display_name: "Web (new)" });
    s.coder.updateUser((people[0] as (typeof people)[0]).id, { templateShares: { [web.id]: 1 } });
    const halted = await s.sync();
    expect(halted.run.status).toBe("halted");
    expect(halted.run.error?.message).toMatch(
      /moves 6 of 10 tracked users \(60\.0%\) to another "Coder template" value, over safety\.maxChangedPercent=50/,
    );
    expect(s.dx.writes.length).toBe(writes);
    const forced = await s.sync({ force: true });
    expect(forced.run).toMatchObject({ status: "succeeded", counts: { applied: 6 } });
    expect(s.dx.attributesOf(people[0]?.email as string)["Coder template"]).toBe("Web (new)");
    expect(s.dx.attributesOf(people[9]?.email as string)["Coder template"]).toBe("Web (new)");
  });
});
