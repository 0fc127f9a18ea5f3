import { readFileSync } from "node:fs";
import type { ChangeRow, Run } from "@coder-dx/core";
import { describe, expect, it } from "vitest";
import { spawnCli } from "./testing/run-cli";
import { startScenario } from "./testing/scenario";

type Scenario = Awaited<ReturnType<typeof startScenario>>;

const changesOf = async (s: Scenario, runId: string) =>
  (
    JSON.parse((await s.cli(["audit", "--run", runId, "--limit", "10000", "--json"])).stdout) as {
      changes: ChangeRow[];
    }
  ).changes;

/** Every person in Coder holds exactly what coder-dx wants in DX. */
function expectAllCorrect(s: Scenario, emails: string[]) {
  for (const email of emails)
    expect(s.dx.attributesOf(email), email).toMatchObject({
      Coder: "Active",
      "Coder usage level": "None",
    });
}

const people = (s: Scenario, n: number) =>
  Array.from({ length: n }, (_, i) => s.person(`worker${String(i).padStart(2, "0")}`).email);

const HTML_500 = {
  status: 503,
  contentType: "text/html",
  body: "<html><body><h1>503 Service Unavailable</h1></body></html>",
};

describe("fault injection: the run ends as it should and nothing is lost", () => {
  it("rides out 429s (with and without Retry-After), 5xx HTML pages, resets, timeouts and a truncated page", async () => {
    const s = await startScenario({ dx: { timeoutMs: 400 }, coder: { timeoutMs: 400 } });
    try {
      const emails = people(s, 12);
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker00@example.com",
        times: 1,
        status: 429,
        headers: { "retry-after": "1" },
        body: '{"ok":false,"error":"rate_limited"}',
      });
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker01@example.com",
        times: 2,
        status: 429,
        body: '{"ok":false,"error":"rate_limited"}',
      });
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker02@example.com",
        times: 2,
        ...HTML_500,
      });
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker03@example.com",
        times: 1,
        reset: true,
      });
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker04@example.com",
        times: 1,
        delayMs: 1500,
      });
      s.dx.faults.add({
        match: /users\.list/,
        times: 1,
        truncate: true,
        body: JSON.stringify({ ok: true, users: [], next_page: null, total: 0 }),
      });
      s.coder.faults.add({ match: /users\/me/, times: 1, reset: true });
      s.coder.faults.add({ match: /user-activity/, times: 1, ...HTML_500 });

      const run = await s.sync();
      expect(run).toMatchObject({
        status: "succeeded",
        counts: { changed: 12, applied: 12, rejected: 0 },
      });
      expectAllCorrect(s, emails);
      const attempts = Object.fromEntries(
        (await changesOf(s, run.id)).map((c) => [c.email, c.attempts]),
      );
      expect(attempts).toMatchObject({
        "worker00@example.com": 2,
        "worker01@example.com": 3,
        "worker02@example.com": 3,
        "worker03@example.com": 2,
        "worker04@example.com": 2,
        "worker05@example.com": 1,
      });
    } finally {
      await s.close();
    }
  });

  it("ends partial when DX keeps refusing some people, and the next run repairs them", async () => {
    const s = await startScenario({ dx: { maxAttempts: 2 } });
    try {
      const emails = people(s, 10);
      s.dx.failingEmails.add("worker03@example.com"); // failures inside a 200
      s.dx.faults.add({ match: /attributes\.update/, email: "worker07@example.com", ...HTML_500 }); // down for one user
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker08@example.com",
        status: 422,
        body: '{"ok":false,"error":"invalid_payload"}',
      });
      const partial = await s.sync([], 3);
      expect(partial.counts).toMatchObject({ changed: 10, applied: 7, rejected: 3 });
      expect(partial.counts.applied + partial.counts.rejected + partial.counts.unmatched).toBe(
        partial.counts.changed,
      );
      const rows = await changesOf(s, partial.id);
      const byEmail = Object.fromEntries(rows.map((c) => [c.email, c]));
      expect(byEmail["worker03@example.com"]).toMatchObject({
        outcome: "rejected",
        error: { code: "dx_rejected" },
      });
      expect(byEmail["worker03@example.com"]?.error?.message).toContain("attribute_locked");
      expect(byEmail["worker07@example.com"]).toMatchObject({
        outcome: "rejected",
        attempts: 2,
        error: { code: "dx_unavailable" },
      });
      expect(byEmail["worker08@example.com"]).toMatchObject({
        outcome: "rejected",
        attempts: 1,
        error: { code: "dx_rejected" },
      });

      s.dx.failingEmails.clear();
      s.dx.faults.clear();
      const repaired = await s.sync();
      expect(repaired).toMatchObject({ status: "succeeded", counts: { changed: 3, applied: 3 } });
      expectAllCorrect(s, emails);
    } finally {
      await s.close();
    }
  });

  it("fails at once, writing nothing, on refused tokens and on a malformed listing, and says which", async () => {
    const s = await startScenario();
    try {
      people(s, 3);
      const coder401 = await s.cli(["sync", "--json"], {
        CODER_SESSION_TOKEN: "AbCdEf1234-refusedrefusedrefusedx",
      });
      expect(coder401.code).toBe(1);
      expect(JSON.parse(coder401.stdout).run.error.message).toContain(
        "CODER_SESSION_TOKEN was refused",
      );
      const dx401 = await s.cli(["sync", "--json"], { DX_API_TOKEN: "refused-dx-token" });
      expect(dx401.code).toBe(1);
      expect(JSON.parse(dx401.stdout).run.error).toMatchObject({ code: "dx_unauthorized" });
      s.dx.faults.add({
        match: /users\.list/,
        status: 200,
        body: JSON.stringify({ ok: true, users: [{ email: 42 }], next_page: null }),
      });
      const malformed = await s.sync([], 1);
      expect(malformed.error).toMatchObject({ code: "dx_bad_response" });
      expect(malformed.error?.message).toMatch(/users\.list.*users\.0\.email/);
      expect(s.dx.writes).toHaveLength(0);
      for (const output of [coder401, dx401]) {
        expect(output.stdout + output.stderr).not.toMatch(/refusedrefused|refused-dx-token/);
      }
    } finally {
      await s.close();
    }
  });

  it("stops writing when DX refuses the token mid-run, and skips (not loses) the rest", async () => {
    const s = await startScenario({ dx: { concurrency: 1 } });
    try {
      const emails = people(s, 6);
      s.dx.faults.add({
        match: /attributes\.update/,
        skip: 2,
        status: 401,
        body: '{"ok":false,"error":"invalid_auth"}',
      });
      const failed = await s.sync([], 1);
      expect(failed).toMatchObject({
        status: "failed",
        error: { code: "dx_unauthorized" },
        counts: { applied: 2 },
      });
      const outcomes = (await changesOf(s, failed.id)).map((c) => c.outcome).sort();
      expect(outcomes).toEqual(["applied", "applied", "skipped", "skipped", "skipped", "skipped"]);
      s.dx.faults.clear();
      expect((await s.sync()).counts).toMatchObject({ changed: 4, applied: 4 });
      expectAllCorrect(s, emails);
    } finally {
      await s.close();
    }
  });

  it("carries odd but legal data through intact", async () => {
    const s = await startScenario();
    try {
      const odd = [
        { username: "zoe", email: "Zoë.Ñúñez+coder@exämple.com", name: "Zoë Ñúñez" },
        { username: "long", email: "long@example.com", name: "L".repeat(5000) },
        { username: "quotes", email: "q@example.com", name: 'O\'Brien, "Bob"\nsecond line' },
        { username: "blank", email: "blank@example.com", name: "" },
        { username: "never", email: "never@example.com", last_seen_at: "0001-01-01T00:00:00Z" },
        {
          username: "orgs",
          email: "orgs@example.com",
          organization_ids: Array.from(
            { length: 50 },
            (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          ),
        },
      ];
      for (const user of odd) {
        s.coder.addUser(user);
        s.dx.addUser({ email: user.email.toLowerCase() });
      }
      const run = await s.sync();
      expect(run.counts).toMatchObject({ applied: 6, invalid: 0 });
      expect(s.dx.attributesOf("zoë.ñúñez+coder@exämple.com")).toMatchObject({ Coder: "Active" });
      const csv = await s.cli(["export"]);
      expect(csv.stdout).toContain('"O\'Brien, ""Bob""\nsecond line"');
      expect(csv.stdout).toContain("zoë.ñúñez+coder@exämple.com");
    } finally {
      await s.close();
    }
  });

  it("keeps every token out of logs, errors, JSON output and the database after runs with failures", async () => {
    const s = await startScenario({ dx: { maxAttempts: 2 } });
    try {
      people(s, 4);
      s.dx.faults.add({ match: /attributes\.update/, email: "worker01@example.com", ...HTML_500 });
      const outputs = [
        await s.cli(["sync", "--json"]),
        await s.cli(["sync"], { DX_API_TOKEN: "wrong-token-value-123" }),
        await s.cli(["audit", "--json", "--limit", "1000"]),
        await s.cli(["runs", "list", "--json"]),
        await s.cli(["doctor"]),
      ];
      const database = ["", "-wal"].map((suffix) => {
        try {
          return readFileSync(s.db + suffix).toString("latin1");
        } catch {
          return "";
        }
      });
      for (const secret of [s.coder.token, s.dx.token, "wrong-token-value-123"]) {
        for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(secret);
        for (const file of database) expect(file).not.toContain(secret);
      }
    } finally {
      await s.close();
    }
  });
});

describe("crash safety: kill -9 at any point, and the next run repairs only what was left", () => {
  const killDuring = async (s: Scenario, waitFor: () => boolean) => {
    const { child, exited } = spawnCli(["sync", "--json"], s.env);
    for (let i = 0; i < 400 && !waitFor(); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    expect(await exited).toBeNull();
  };

  it("killed during reads: nothing written, the dead run is closed, the next run does it all", async () => {
    const s = await startScenario();
    try {
      const emails = people(s, 5);
      s.coder.faults.latencyMs = 300;
      await killDuring(s, () => s.coder.requests.length > 0);
      s.coder.faults.latencyMs = 0;
      expect(s.dx.writes).toHaveLength(0);
      const next = await s.sync();
      expect(next.counts).toMatchObject({ applied: 5 });
      const { runs } = JSON.parse((await s.cli(["runs", "list", "--json"])).stdout) as {
        runs: Run[];
      };
      expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed"]);
      expect(runs[1]?.error?.message).toContain("abandoned");
      expectAllCorrect(s, emails);
    } finally {
      await s.close();
    }
  });

  it("killed during writes: the next run writes only the people left", async () => {
    const s = await startScenario({ dx: { concurrency: 1 } });
    try {
      const emails = people(s, 20);
      s.dx.faults.latencyMs = 40;
      await killDuring(s, () => s.dx.writes.length >= 6);
      s.dx.faults.latencyMs = 0;
      const before = s.dx.writes.length;
      expect(before).toBeGreaterThanOrEqual(6);
      expect(before).toBeLessThan(20);
      const next = await s.sync();
      expect(s.dx.writes.length - before).toBe(20 - before);
      expect(next.counts.applied).toBe(20 - before);
      expectAllCorrect(s, emails);
      const stale = await changesOf(s, "1");
      expect(stale.some((c) => c.outcome === "pending")).toBe(false);
    } finally {
      await s.close();
    }
  });

  it("killed between a write and its receipt: DX has it, so the next run records it without writing again", async () => {
    const s = await startScenario({ dx: { concurrency: 1 } });
    try {
      const emails = people(s, 3);
      s.dx.faults.add({
        match: /attributes\.update/,
        email: "worker01@example.com",
        holdResponseMs: 5000,
      });
      await killDuring(s, () => s.dx.writesTo("worker01@example.com").length > 0);
      s.dx.faults.clear();
      expect(s.dx.attributesOf("worker01@example.com")).toMatchObject({ Coder: "Active" }); // written, never confirmed
      const before = s.dx.writes.length;
      const next = await s.sync();
      expect(s.dx.writesTo("worker01@example.com")).toHaveLength(1);
      expect(next.counts.applied).toBe(3 - before);
      const user = JSON.parse(
        (await s.cli(["users", "show", "worker01@example.com", "--json"])).stdout,
      );
      expect(user.user.attributes).toEqual({ Coder: "Active", "Coder usage level": "None" });
      expectAllCorrect(s, emails);
    } finally {
      await s.close();
    }
  });
});

describe("the request budget", () => {
  it("never lets a 1-second window exceed the configured DX rate", async () => {
    const s = await startScenario({ dx: { requestsPerMinute: 1200, concurrency: 8 } });
    try {
      people(s, 50);
      await s.sync();
      const times = s.dx.requests.map((r) => r.at).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(52);
      let worst = 0;
      for (let i = 0; i < times.length; i++) {
        let j = i;
        while (j < times.length && (times[j] as number) < (times[i] as number) + 1000) j++;
        worst = Math.max(worst, j - i);
      }
      expect(worst).toBeLessThanOrEqual(20);
    } finally {
      await s.close();
    }
  });
});
