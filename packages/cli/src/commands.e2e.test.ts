import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChangeRow } from "@coder-dx/core";
import { CoderSimulator } from "@coder-dx/simulators";
import { describe, expect, it } from "vitest";
import { startScenario } from "./testing/scenario";

describe("identity and lifecycle, end to end", () => {
  it("lands overrides and domain rewrites on the right DX users, and never writes excluded people", async () => {
    const s = await startScenario({
      identities: {
        overrides: { jdoe: "john.doe@example.com" },
        domainRewrites: { "corp.example.net": "example.com" },
        exclude: ["*@contractors.example.com", "test-*"],
      },
    });
    try {
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
      const run = await s.sync();
      expect(run.counts).toMatchObject({ applied: 2, excluded: 3 }); // + the token owner
      expect(s.dx.writes.map((w) => w.email).sort()).toEqual([
        "carol@example.com",
        "john.doe@example.com",
      ]);
      expect(s.dx.attributesOf("john.doe@example.com")).toEqual({
        Coder: "Active",
        "Coder usage level": "None",
      });
    } finally {
      await s.close();
    }
  });

  it("writes a merged pair once, with the best status and summed usage", async () => {
    const s = await startScenario();
    try {
      s.person("dana", { status: "suspended", usageSeconds: 6 * 3600 });
      s.coder.addUser({
        username: "dana-admin",
        email: "DANA@example.com",
        status: "active",
        usageSeconds: 5 * 3600,
      });
      await s.sync();
      expect(s.dx.writesTo("dana@example.com")).toHaveLength(1);
      expect(s.dx.attributesOf("dana@example.com")).toEqual({
        Coder: "Active",
        "Coder usage level": "Moderate",
      });
      const plan = JSON.parse((await s.cli(["plan", "--json"])).stdout);
      const dana = plan.plan.entries.find((e: { email: string }) => e.email === "dana@example.com");
      expect(dana.note).toMatch(/merged 2 Coder accounts \(dana(-admin)?, dana(-admin)?\)/);
    } finally {
      await s.close();
    }
  });

  it("re-keys a person whose email changed: new email written, old one retired, both audited", async () => {
    const s = await startScenario();
    try {
      const alice = s.person("alice");
      await s.sync();
      s.coder.updateUser(alice.id, { email: "alice.smith@example.com" });
      s.dx.addUser({ email: "alice.smith@example.com" });
      const run = await s.sync();
      expect(run.counts).toMatchObject({ changed: 2, applied: 2 });
      expect(s.dx.attributesOf("alice.smith@example.com")).toMatchObject({ Coder: "Active" });
      expect(s.dx.attributesOf("alice@example.com")).toMatchObject({ Coder: "Former user" });
      const changes = JSON.parse((await s.cli(["audit", "--run", run.id, "--json"])).stdout)
        .changes as ChangeRow[];
      expect(changes.map((c) => [c.email, c.action, c.note])).toEqual(
        expect.arrayContaining([
          ["alice.smith@example.com", "set", null],
          ["alice@example.com", "retire", "email changed to alice.smith@example.com"],
        ]),
      );
    } finally {
      await s.close();
    }
  });

  it("repairs drift by default and respects it when configured", async () => {
    for (const drift of ["overwrite", "respect"] as const) {
      const s = await startScenario({ drift });
      try {
        s.person("erin");
        await s.sync();
        const erin = s.dx.users.get("erin@example.com");
        if (!erin) throw new Error("erin missing");
        s.dx.setAttribute(erin, "Coder", "Dormant"); // edited by hand in DX
        const run = await s.sync();
        expect(run.counts.drift).toBe(1);
        expect(s.dx.attributesOf("erin@example.com").Coder).toBe(
          drift === "overwrite" ? "Active" : "Dormant",
        );
      } finally {
        await s.close();
      }
    }
  });

  it("gives DX users with no Coder account the nonUsers value", async () => {
    const s = await startScenario({ nonUsers: "Non-user" });
    try {
      s.person("frank");
      s.dx.addUser({ email: "sales@example.com", attributes: { Department: "Sales" } });
      await s.sync();
      expect(s.dx.attributesOf("sales@example.com")).toEqual({
        Department: "Sales",
        Coder: "Non-user",
      });
    } finally {
      await s.close();
    }
  });
});

describe("the brakes, end to end", () => {
  it("halts a mass removal with nothing written (exit 4), and --force applies it", async () => {
    const s = await startScenario();
    try {
      const people = Array.from({ length: 20 }, (_, i) => s.person(`p${i}`));
      await s.sync();
      for (const p of people.slice(0, 8)) s.coder.removeUser(p.id);
      const before = s.dx.writes.length;
      const halted = await s.sync([], 4);
      expect(halted).toMatchObject({ status: "halted", error: { code: "halted" } });
      expect(halted.error?.message).toContain("retires or clears 8 of 20 tracked users");
      expect(s.dx.writes.length).toBe(before);
      const planned = JSON.parse(
        (await s.cli(["audit", "--run", halted.id, "--outcome", "planned", "--json"])).stdout,
      ).changes;
      expect(planned).toHaveLength(8);
      const forced = await s.sync(["--force"]);
      expect(forced.counts).toMatchObject({ applied: 8 });
      expect(s.dx.attributesOf("p0@example.com").Coder).toBe("Former user");
    } finally {
      await s.close();
    }
  });

  it("halts on an attribute group DX does not have (a typo) unless allowed", async () => {
    const s = await startScenario({ groups: { status: { name: "Codr" } } });
    try {
      s.person("gina");
      const halted = await s.sync([], 4);
      expect(halted.error?.message).toContain('"Codr"');
      expect(s.dx.writes).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it("halts when the Coder listing shrank below minSourceRatio of the last run", async () => {
    const s = await startScenario({ safety: { maxRemovals: 1000 } });
    try {
      const people = Array.from({ length: 10 }, (_, i) => s.person(`q${i}`));
      await s.sync();
      for (const p of people.slice(0, 7)) s.coder.removeUser(p.id);
      const run = await s.sync([], 4);
      expect(run.error?.message).toMatch(
        /Coder listed 4 users, under safety.minSourceRatio=0.5 × the last run's 11/,
      );
    } finally {
      await s.close();
    }
  });

  it("fails (exit 1) with nothing written when the Coder listing fails, and --force does not override it", async () => {
    const s = await startScenario();
    try {
      s.person("hank");
      s.coder.faults.add({
        match: /GET \/api\/v2\/users$/,
        status: 500,
        contentType: "text/html",
        body: "<html>Internal error</html>",
      });
      const failed = await s.sync(["--force"], 1);
      expect(failed).toMatchObject({ status: "failed", error: { code: "coder_unavailable" } });
      expect(failed.error?.message).toContain("Internal error");
      expect(s.dx.writes).toHaveLength(0);
      s.coder.faults.clear();
      s.coder.faults.add({
        match: /GET \/api\/v2\/users$/,
        status: 200,
        body: JSON.stringify({ users: [], count: 2 }),
      });
      const truncated = await s.sync([], 1);
      expect(truncated.error).toMatchObject({ code: "listing_incomplete" });
      expect(s.dx.writes).toHaveLength(0);
    } finally {
      await s.close();
    }
  });
});

describe("saved plans, doctor, init and bad config, end to end", () => {
  it("applies a saved plan, and refuses one that went stale", async () => {
    const s = await startScenario();
    try {
      s.person("ivy");
      const file = join(s.dir, "plan.json");
      expect((await s.cli(["plan", "--out", file])).code).toBe(0);
      const applied = await s.cli(["apply", file, "--json"]);
      expect(applied.code, applied.stderr).toBe(0);
      expect(s.dx.attributesOf("ivy@example.com").Coder).toBe("Active");

      s.coder.updateUser(s.coder.findUser("ivy").id, { usageSeconds: 50 * 3600 });
      expect((await s.cli(["plan", "--out", file])).code).toBe(0);
      s.coder.updateUser(s.coder.findUser("ivy").id, { status: "suspended" });
      const before = s.dx.writes.length;
      const stale = await s.cli(["apply", file, "--json"]);
      expect(stale.code).toBe(1);
      expect(JSON.parse(stale.stdout).run.error).toMatchObject({ code: "plan_stale" });
      expect(s.dx.writes.length).toBe(before);
      writeFileSync(file, "{}");
      expect((await s.cli(["apply", file])).code).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("doctor passes on a healthy set-up and names each problem with its fix", async () => {
    const s = await startScenario();
    try {
      const healthy = await s.cli(["doctor"]);
      expect(healthy.code, healthy.stdout).toBe(0);
      expect(healthy.stdout).toContain("✓ coder token: valid, user coder-dx-bot (owner)");
      expect(healthy.stdout).toContain("All checks passed.");

      const wrongToken = await s.cli(["doctor"], {
        CODER_SESSION_TOKEN: "AbCdEf1234-wrongwrongwrongwrongwr",
        DX_API_TOKEN: "nope",
      });
      expect(wrongToken.code).toBe(1);
      expect(wrongToken.stdout).toMatch(/✗ coder token: .*CODER_SESSION_TOKEN was refused/);
      expect(wrongToken.stdout).toMatch(/✗ dx token \(users:read\): .*DX_API_TOKEN was refused/);
      expect(wrongToken.stdout).not.toContain("wrongwrong");

      s.coder.updateUser(s.coder.findUser("coder-dx-bot").id, { roles: [] });
      s.coder.ownerRole = "member";
      const noRole = await s.cli(["doctor"]);
      expect(noRole.stdout).toMatch(
        /✗ coder token: coder-dx-bot has site roles \[member\]; .*Owner, Auditor or Template Admin/,
      );

      const closed = await CoderSimulator.start();
      await closed.close();
      const unreachable = await s.cli(["doctor"], { CODER_URL: closed.url });
      expect(unreachable.stdout).toMatch(
        /✗ coder reachable: .*ECONNREFUSED.*\n {4}fix: check CODER_URL/,
      );
    } finally {
      await s.close();
    }
  });

  it("init writes a starter config that loads, and an invalid config exits 2 naming the key", async () => {
    const s = await startScenario();
    try {
      const out = join(s.dir, "starter.yaml");
      expect((await s.cli(["init", "--out", out])).code).toBe(0);
      expect(readFileSync(join(s.dir, "coder-dx.schema.json"), "utf8")).toContain('"safety"');
      expect((await s.cli(["plan", "--config", out])).code).toBe(0);
      expect((await s.cli(["init", "--out", out])).code).toBe(2);
      writeFileSync(out, "safety:\n  maxRemovalsPercent: 250\n");
      const bad = await s.cli(["sync", "--config", out]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/safety\.maxRemovalsPercent: .*100/);
      expect(s.dx.writes).toHaveLength(0);
    } finally {
      await s.close();
    }
  });
});
