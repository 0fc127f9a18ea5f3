import type { SimCoderUser, SimMessage } from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { liveOrg } from "../testing/simulated-sync";

const find = (s: { coder: { findUser(name: string): SimCoderUser } }, name: string) =>
  s.coder.findUser(name);

describe("a hook run: Coder's notifications as hints", () => {
  it("turns a suspension's copies (three admins' and the person's own) into one re-read and one write, for the subject, not a recipient", async () => {
    const s = await liveOrg();
    const admin3 = s.coder.addUser({
      username: "oscar",
      roles: [{ name: "owner", display_name: "Owner" }],
    });
    s.dx.addUser({ email: admin3.email });
    s.person("ann");
    await s.sync();
    s.coder.suspendUser(find(s, "ann").id);
    const copies = s.deliver();
    // coder-dx-bot, olga, oscar (owners), uma (user-admin), and ann's own copy.
    expect(copies.map((c) => c.read.name).sort()).toEqual([
      ...Array(4).fill("User account suspended"),
      "Your account has been suspended",
    ]);
    expect(new Set(copies.map((c) => c.read.subject.email))).toEqual(new Set(["ann@example.com"]));
    const writes = s.dx.writes.length;
    const requests = s.dx.requests.length;
    const { run, hints } = await s.hookRun();
    expect(run).toMatchObject({ trigger: "hook", status: "succeeded", scoped: true });
    expect(s.dx.writes.slice(writes).map((w) => [w.email, w.body.attributes])).toEqual([
      ["ann@example.com", [{ name: "Coder", value: "Suspended" }]],
    ]);
    // No DX listing: the write alone.
    expect(s.dx.requests.length - requests).toBe(1);
    expect(s.dx.attributesOf("ann@example.com")).toMatchObject({ Coder: "Suspended" });
    expect(hints.map((h) => h.outcome).sort()).toEqual([
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "run",
    ]);
    const led = hints.find((h) => h.outcome === "run");
    expect(led?.confirmedAt).not.toBeNull();
    expect(led?.note).toContain("ann@example.com: Coder Suspended");
    expect(s.store.waitingNotifications()).toEqual([]);
  });

  it("writes nothing for a notification Coder's record contradicts", async () => {
    const s = await liveOrg();
    s.person("bea");
    await s.sync();
    const bea = find(s, "bea");
    s.coder.suspendUser(bea.id);
    s.coder.updateUser(bea.id, { status: "active" }); // back at once, by SCIM: no notification
    s.deliver();
    const writes = s.dx.writes.length;
    const { hints } = await s.hookRun();
    expect(s.dx.writes.length).toBe(writes);
    expect(hints.find((h) => h.outcome === "run")?.note).toMatch(/bore out no change/);
  });

  it("retires someone deleted (no email in the notification: the id, and coder-dx's record of it)", async () => {
    const s = await liveOrg();
    s.person("cal");
    await s.sync();
    s.coder.deleteUser(find(s, "cal").id);
    const copies = s.deliver();
    expect(copies.every((c) => c.read.subject.email === null && c.read.subject.userId)).toBe(true);
    await s.hookRun();
    expect(s.dx.attributesOf("cal@example.com")).toMatchObject({
      Coder: "Former user",
      "Coder usage level": "None",
    });
  });

  it("sets a new hire's status at once, leaving usage to the next full run", async () => {
    const s = await liveOrg();
    await s.sync();
    const dee = s.coder.createUser({ username: "dee", usageSeconds: 50 * 3600 });
    s.dx.addUser({ email: dee.email });
    s.deliver();
    await s.hookRun();
    expect(s.dx.attributesOf("dee@example.com")).toEqual({ Coder: "Active" });
    await s.sync();
    expect(s.dx.attributesOf("dee@example.com")).toEqual({
      Coder: "Active",
      "Coder usage level": "Heavy",
    });
  });

  it("reads a Coder of payload 1.0 (no data, no targets) by the username label", async () => {
    const s = await liveOrg();
    s.coder.notifications.payloadVersion = "1.0";
    s.person("eve");
    await s.sync();
    s.coder.suspendUser(find(s, "eve").id);
    s.deliver();
    await s.hookRun();
    expect(s.dx.attributesOf("eve@example.com")).toMatchObject({ Coder: "Suspended" });
  });

  it("records a retry of the same message once, and ignores what it does not use, saying why", async () => {
    const s = await liveOrg();
    const fay = s.person("fay");
    await s.sync();
    s.coder.suspendUser(find(s, "fay").id);
    const [first] = s.coder.messages;
    s.deliver();
    const again = s.deliver([first as SimMessage]);
    expect(again[0]).toMatchObject({ duplicate: true });
    s.coder.createWorkspace(find(s, "fay").id, { name: "dev" });
    const workspace = s.deliver();
    expect(workspace[0]).toMatchObject({
      outcome: "ignored",
      read: { kind: "workspace_created", subject: { email: fay } },
    });
    // coder-dx-bot's, olga's and uma's copies and fay's own; the retry and the workspace: no.
    expect(s.store.waitingNotifications()).toHaveLength(4);
  });

  it("waits when the run fails, and a full run settles what waits for the people it covered", async () => {
    const s = await liveOrg({ coder: { maxAttempts: 1 } });
    s.person("gil");
    await s.sync();
    s.coder.suspendUser(find(s, "gil").id);
    s.deliver();
    s.coder.faults.add({ match: /GET \/api\/v2\/users$/, status: 500, times: 1 });
    const failed = await s.hookRun();
    expect(failed.run.status).toBe("failed");
    expect(s.store.waitingNotifications().length).toBeGreaterThan(0);
    const full = await s.sync();
    expect(full.hints.length).toBeGreaterThan(0);
    expect(full.hints.map((h) => h.runId)).toEqual(full.hints.map(() => full.run.id));
    expect(full.hints.filter((h) => h.outcome === "run").map((h) => h.note)).toEqual([
      "covered by a full run",
    ]);
    expect(s.store.waitingNotifications()).toEqual([]);
    expect(s.dx.attributesOf("gil@example.com")).toMatchObject({ Coder: "Suspended" });
  });

  it("halts at the removal brake as a run would, and says so on the notifications", async () => {
    const s = await liveOrg();
    for (let i = 0; i < 10; i++) s.person(`h${i}`);
    await s.sync();
    for (let i = 0; i < 8; i++) s.coder.deleteUser(find(s, `h${i}`).id);
    s.deliver();
    const writes = s.dx.writes.length;
    const { run, hints } = await s.hookRun();
    expect(run.status).toBe("halted");
    expect(s.dx.writes.length).toBe(writes);
    expect(hints.find((h) => h.outcome === "run")?.note).toMatch(/halted at a brake/);
  });
});

describe("the status pass", () => {
  it("writes status changes only, and with nothing changed costs DX nothing", async () => {
    const s = await liveOrg();
    for (const name of ["ivy", "jo", "kit"]) s.person(name);
    await s.sync();
    const before = s.dxRequests();
    const quiet = await s.statusPass();
    expect(quiet.run).toMatchObject({
      trigger: "status",
      status: "succeeded",
      counts: { changed: 0 },
    });
    expect(s.dxRequests()).toBe(before);
    // SCIM and the dormancy job send no notification: the status pass finds them.
    s.coder.updateUser(find(s, "ivy").id, { status: "suspended" });
    s.coder.updateUser(find(s, "jo").id, { status: "dormant", usageSeconds: 60 * 3600 });
    s.coder.removeUser(find(s, "kit").id);
    const { run } = await s.statusPass();
    expect(run.counts).toMatchObject({ changed: 3, applied: 3 });
    expect(s.dx.attributesOf("ivy@example.com")).toMatchObject({ Coder: "Suspended" });
    expect(s.dx.attributesOf("jo@example.com")).toEqual({
      Coder: "Dormant",
      "Coder usage level": "None",
    });
    expect(s.dx.attributesOf("kit@example.com")).toEqual({
      Coder: "Former user",
      "Coder usage level": "None",
    });
    expect(
      s.dx.requests.slice(before).every((r) => r.key === "POST /users.attributes.update"),
    ).toBe(true);
  });

  it("halts on a shrunken listing, as a full run does", async () => {
    const s = await liveOrg({ safety: { maxRemovals: 1000 } });
    for (let i = 0; i < 10; i++) s.person(`m${i}`);
    await s.sync();
    for (let i = 0; i < 8; i++) s.coder.removeUser(find(s, `m${i}`).id);
    const { run } = await s.statusPass();
    expect(run.status).toBe("halted");
    expect(run.error?.message).toMatch(/safety\.minSourceRatio/);
  });
});
