import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startScenario } from "./testing/scenario";

/**
 * What only the CLI process can show: exit codes, flags and files. The rules behind them run
 * in-process in core (lifecycle.test.ts, doctor.test.ts, run-sync.test.ts).
 */
describe("the commands' exit codes and flags", () => {
  it("sync exits 4 at a brake with nothing written, and --force applies", async () => {
    const s = await startScenario();
    try {
      const people = Array.from({ length: 20 }, (_, i) => s.person(`p${i}`));
      await s.sync();
      for (const p of people.slice(0, 8)) s.coder.removeUser(p.id);
      const before = s.dx.writes.length;
      const halted = await s.sync([], 4);
      expect(halted).toMatchObject({ status: "halted", error: { code: "halted" } });
      expect(s.dx.writes.length).toBe(before);
      const forced = await s.sync(["--force"]);
      expect(forced.counts).toMatchObject({ applied: 8 });
    } finally {
      await s.close();
    }
  });

  it("apply takes a saved plan, exits 1 for one gone stale and 2 for a file that is not a plan", async () => {
    const s = await startScenario();
    try {
      s.person("ivy");
      const file = join(s.dir, "plan.json");
      expect((await s.cli(["plan", "--out", file])).code).toBe(0);
      const applied = await s.cli(["apply", file, "--json"]);
      expect(applied.code, applied.stderr).toBe(0);
      expect(s.dx.attributesOf("ivy@example.com").Coder).toBe("Active");

      expect((await s.cli(["plan", "--out", file])).code).toBe(0);
      s.coder.updateUser(s.coder.findUser("ivy").id, { status: "suspended" });
      const stale = await s.cli(["apply", file, "--json"]);
      expect(stale.code).toBe(1);
      expect(JSON.parse(stale.stdout).run.error).toMatchObject({ code: "plan_stale" });
      writeFileSync(file, "{}");
      expect((await s.cli(["apply", file])).code).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("doctor exits 0 when every check passes and 1 when one fails, one line per check", async () => {
    const s = await startScenario();
    try {
      const healthy = await s.cli(["doctor"]);
      expect(healthy.code, healthy.stdout).toBe(0);
      expect(healthy.stdout).toContain("✓ coder token: valid, user coder-dx-bot (owner)");
      expect(healthy.stdout).toContain("All checks passed.");
      const wrong = await s.cli(["doctor"], { DX_API_TOKEN: "nope-nope-nope" });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/✗ dx token \(users:read\): .*\n {4}fix: /);
    } finally {
      await s.close();
    }
  });

  it("init writes a starter config a first sync runs with (exit 0), and an invalid config exits 2 naming the key", async () => {
    const s = await startScenario();
    try {
      s.person("una");
      const out = join(s.dir, "starter.yaml");
      expect((await s.cli(["init", "--out", out])).code).toBe(0);
      expect(readFileSync(join(s.dir, "coder-dx.schema.json"), "utf8")).toContain('"safety"');
      const first = await s.cli(["sync", "--config", out, "--json"]);
      expect(first.code, first.stderr).toBe(0);
      expect(s.dx.attributesOf("una@example.com")).toMatchObject({
        Coder: "Active",
        "Coder usage frequency": "None",
      });
      expect((await s.cli(["init", "--out", out])).code).toBe(2);
      const writes = s.dx.writes.length;
      writeFileSync(out, "safety:\n  maxRemovalsPercent: 250\n");
      const bad = await s.cli(["sync", "--config", out]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/safety\.maxRemovalsPercent: .*100/);
      writeFileSync(out, "identities:\n  overrides: { u0001: not an email }\n");
      const override = await s.cli(["doctor", "--config", out]);
      expect(override.code).toBe(2);
      expect(override.stderr).toContain("identities.overrides.u0001: not an email address");
      expect(s.dx.writes).toHaveLength(writes);
    } finally {
      await s.close();
    }
  });
});

describe("the CLI's words", () => {
  it("says what is wrong in its own words, suggests the nearest, and exits 2 for a scope that matches nobody", async () => {
    const s = await startScenario();
    try {
      s.person("ada");
      await s.sync();
      const words = async (args: string[], env: Record<string, string> = {}) => {
        const result = await s.cli(args, env);
        return { ...result, lines: result.stderr.trim().split("\n") };
      };
      expect((await words(["audit", "--limit", "abc"])).lines).toEqual([
        'coder-dx: --limit "abc": must be a number',
      ]);
      expect((await words(["audit", "--limit", "0"])).lines[0]).toBe(
        'coder-dx: --limit "0": must be at least 1',
      );
      expect((await words(["audit", "--outcome", "aplied"])).lines[0]).toMatch(
        /^coder-dx: --outcome "aplied": did you mean applied\? \(one of applied, rejected/,
      );
      const typo = await words(["sycn"]);
      expect(typo.code).toBe(2);
      expect(typo.lines).toEqual([
        "coder-dx: unknown command 'sycn': did you mean sync?",
        "Run coder-dx --help for the commands.",
      ]);
      const nobody = await words(["users", "show", "nobody@example.com"]);
      expect(nobody.lines).toEqual(["coder-dx has no record of nobody@example.com"]);
      for (const dry of [["--dry-run"], []]) {
        const missed = await s.cli(["sync", ...dry, "--email", "nobody@example.com", "--json"]);
        expect(missed.code).toBe(2);
        expect(JSON.parse(missed.stdout).run.error.message).toMatch(
          /^nobody matched: nobody@example\.com/,
        );
      }
      const help = await s.cli(["sync", "--help"]);
      expect(help.stdout).toContain("Examples:\n  $ coder-dx sync --dry-run");
      expect(help.stdout).not.toContain("(default: [])");
      // Off a terminal, no colour; FORCE_COLOR turns it on.
      const plain = await s.cli(["runs", "list"]);
      expect(plain.stdout).not.toContain("\u001b[");
      expect(plain.stdout).toMatch(/^ID +STATUS/);
      expect((await s.cli(["runs", "list"], { FORCE_COLOR: "1" })).stdout).toContain(
        "\u001b[32msucceeded\u001b[39m",
      );
    } finally {
      await s.close();
    }
  });
});
