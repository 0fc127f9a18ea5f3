import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ChangeRow, Run } from "@coder-dx/core";
import { CoderSimulator, DxSimulator, type SimCoderUser } from "@coder-dx/simulators";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnvironment, runCli } from "./testing/run-cli";

let coder: CoderSimulator;
let dx: DxSimulator;
let env: Record<string, string>;
let db: string;
const people: Record<string, SimCoderUser> = {};
const idOf = (key: string): string => {
  const person = people[key];
  if (!person) throw new Error(`no seeded person ${key}`);
  return person.id;
};

const json = async <T>(args: string[], expectedCode = 0): Promise<T> => {
  const result = await runCli(args, env);
  expect(result.code, result.stderr).toBe(expectedCode);
  return JSON.parse(result.stdout) as T;
};
const sync = (args: string[] = [], code = 0) =>
  json<{ run: Run }>(["sync", "--json", ...args], code).then((r) => r.run);

beforeAll(async () => {
  coder = await CoderSimulator.start();
  dx = await DxSimulator.start();
  const add = (
    key: string,
    user: Partial<SimCoderUser> & { username: string },
    inDx: { hidden?: boolean } | null = {},
  ) => {
    people[key] = coder.addUser(user);
    const email = (user.email ?? `${user.username}@example.com`).trim().toLowerCase();
    if (inDx && email) dx.addUser({ email, attributes: { Department: "Platform" }, ...inDx });
  };
  add("heavy", { username: "heavy", usageSeconds: 50 * 3600 });
  add("moderate", { username: "moderate", usageSeconds: 20 * 3600 });
  add("light", { username: "light", usageSeconds: 2 * 3600 });
  add("idle", { username: "idle" });
  add("dormant", { username: "dormant", status: "dormant" });
  add("suspended", { username: "suspended", status: "suspended" });
  add("mixedCase", { username: "mixed", email: "  Mixed.Case@Example.COM " });
  add("hidden", { username: "hidden", usageSeconds: 3600 }, { hidden: true });
  add("stranger", { username: "stranger" }, null); // not in DX at all
  add("quoted", { username: "quoted", name: 'Quinn "Q" O\'Hara, Jr.\nSecond line' });
  add(
    "service",
    { username: "ci-bot", email: "", login_type: "none", is_service_account: true },
    null,
  );
  add("invalid", { username: "anon", email: "0123456789abcdef0123456789abcdef@example.com" });
  dx.addUser({ email: "coder-dx-bot@example.com" }); // the token owner is in DX, and must not be written
  const setup = cliEnvironment(coder, dx);
  env = setup.env;
  db = setup.db;
});
afterAll(async () => {
  await coder.close();
  await dx.close();
});

describe("coder-dx sync, end to end over loopback", () => {
  it("first sync sets the default attributes for every kind of user", async () => {
    const run = await sync();
    expect(run).toMatchObject({ status: "succeeded", dryRun: false, trigger: "cli", error: null });
    expect(run.counts).toEqual({
      users: 13,
      unchanged: 0,
      changed: 10,
      applied: 9,
      rejected: 0,
      invalid: 1,
      excluded: 2,
      merged: 0,
      unmatched: 1,
      drift: 0,
    });
    // Counts add up: users = unchanged + changed + invalid + excluded + merged.
    expect(run.counts.users).toBe(0 + 10 + 1 + 2 + 0);
    expect(dx.attributesOf("heavy@example.com")).toEqual({
      Department: "Platform",
      Coder: "Active",
      "Coder usage level": "Heavy",
    });
    expect(dx.attributesOf("moderate@example.com")).toMatchObject({
      "Coder usage level": "Moderate",
    });
    expect(dx.attributesOf("light@example.com")).toMatchObject({ "Coder usage level": "Light" });
    expect(dx.attributesOf("idle@example.com")).toMatchObject({
      Coder: "Active",
      "Coder usage level": "None",
    });
    expect(dx.attributesOf("dormant@example.com")).toMatchObject({ Coder: "Dormant" });
    expect(dx.attributesOf("suspended@example.com")).toMatchObject({ Coder: "Suspended" });
    expect(dx.attributesOf("mixed.case@example.com")).toMatchObject({ Coder: "Active" });
    expect(dx.attributesOf("hidden@example.com")).toMatchObject({
      Coder: "Active",
      "Coder usage level": "Light",
    });
  });

  it("never writes excluded or invalid users, nor groups it does not own", async () => {
    const written = new Set(dx.writes.map((w) => w.email));
    expect(written.has("coder-dx-bot@example.com")).toBe(false);
    expect([...written].some((e) => e.startsWith("0123456789abcdef"))).toBe(false);
    for (const write of dx.writes) {
      const groups = (write.body.attributes as { name: string }[]).map((a) => a.name);
      expect(groups).toEqual(["Coder", "Coder usage level"]);
    }
    expect(dx.attributesOf("coder-dx-bot@example.com")).toEqual({});
  });

  it("a second sync with no change makes zero DX writes", async () => {
    const before = dx.writes.length;
    const run = await sync();
    expect(dx.writes.length).toBe(before);
    // The unmatched person (waiting for DX to know them) is left without a write: unchanged.
    expect(run.counts).toMatchObject({ changed: 0, applied: 0, unchanged: 10, unmatched: 1 });
  });

  it("changing four people writes exactly those four, once each", async () => {
    coder.updateUser(idOf("idle"), { usageSeconds: 45 * 3600 });
    coder.updateUser(idOf("light"), { status: "suspended" });
    coder.updateUser(idOf("dormant"), { status: "active" });
    coder.removeUser(idOf("moderate"));
    const before = dx.writes.length;
    const run = await sync();
    const writes = dx.writes
      .slice(before)
      .map((w) => w.email)
      .sort();
    expect(writes).toEqual([
      "dormant@example.com",
      "idle@example.com",
      "light@example.com",
      "moderate@example.com",
    ]);
    expect(run.counts).toMatchObject({ changed: 4, applied: 4 });
    expect(dx.attributesOf("moderate@example.com")).toEqual({
      Department: "Platform",
      Coder: "Former user",
      "Coder usage level": "None",
    });
  });

  it("a dry run writes nothing and records planned rows", async () => {
    coder.updateUser(idOf("heavy"), { status: "dormant" });
    const before = dx.writes.length;
    const run = await sync(["--dry-run"]);
    expect(dx.writes.length).toBe(before);
    expect(run).toMatchObject({
      dryRun: true,
      status: "succeeded",
      counts: { changed: 1, applied: 0 },
    });
    const { changes } = await json<{ changes: ChangeRow[] }>(["audit", "--run", run.id, "--json"]);
    const planned = changes.filter((c) => c.outcome === "planned");
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({
      email: "heavy@example.com",
      after: { Coder: "Dormant", "Coder usage level": "Heavy" },
    });
  });

  it("sync --email limits the run to those people", async () => {
    coder.updateUser(idOf("suspended"), { usageSeconds: 12 * 3600 });
    const before = dx.writes.length;
    const result = await runCli(
      ["sync", "--json", "--email", "HEAVY@example.com", "--email", "nobody@example.com"],
      env,
    );
    expect(result.code).toBe(0);
    expect(dx.writes.slice(before).map((w) => w.email)).toEqual(["heavy@example.com"]);
    expect(JSON.parse(result.stdout).run.counts.users).toBe(1);
    expect(result.stderr).toContain("not synced: nobody@example.com");
  });

  it("runs list and runs show return what happened", async () => {
    const { runs } = await json<{ runs: Run[] }>(["runs", "list", "--json"]);
    expect(runs.map((r) => r.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(runs.map((r) => Number(r.id))).toEqual([5, 4, 3, 2, 1]);
    const { run } = await json<{ run: Run }>(["runs", "show", "3", "--json"]);
    expect(run.counts.applied).toBe(4);
    const missing = await runCli(["runs", "show", "99"], env);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain("no run with id 99");
    const human = await runCli(["runs", "list"], env);
    expect(human.stdout.split("\n")[0]).toMatch(/^ID\s+STATUS\s+TRIGGER/);
  });

  it("audit filters by email and outcome and prints CSV a CSV reader parses", async () => {
    const { changes } = await json<{ changes: ChangeRow[] }>([
      "audit",
      "--email",
      "Idle@Example.com",
      "--json",
    ]);
    expect(changes.map((c) => [c.runId, c.outcome, c.after?.["Coder usage level"]])).toEqual([
      ["3", "applied", "Heavy"],
      ["1", "applied", "None"],
    ]);
    const unmatched = await json<{ changes: ChangeRow[] }>([
      "audit",
      "--outcome",
      "unmatched",
      "--json",
    ]);
    expect(unmatched.changes.map((c) => c.email)).toEqual(["stranger@example.com"]);
    expect(unmatched.changes[0]?.error?.code).toBe("dx_unknown_user");
    const csv = await runCli(["audit", "--csv", "--limit", "1000"], env);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(10);
    expect(JSON.parse(rows.find((r) => r.email === "idle@example.com")?.after ?? "null")).toEqual({
      Coder: "Active",
      "Coder usage level": "Heavy",
    });
    const bad = await runCli(["audit", "--outcome", "maybe"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--outcome");
  });

  it("users show gives the pushed state, its history, and the state at a time", async () => {
    const { user, history } = await json<{
      user: { attributes: Record<string, string> };
      history: ChangeRow[];
    }>(["users", "show", "idle@example.com", "--json"]);
    expect(user.attributes).toEqual({ Coder: "Active", "Coder usage level": "Heavy" });
    expect(history).toHaveLength(2);
    const firstAt = history[1]?.at as string;
    const past = await json<{ user: { attributes: Record<string, string> } }>([
      "users",
      "show",
      "idle@example.com",
      "--at",
      firstAt,
      "--json",
    ]);
    expect(past.user.attributes).toEqual({ Coder: "Active", "Coder usage level": "None" });
  });

  it("export writes RFC 4180 CSV that survives quotes, commas and newlines", async () => {
    const result = await runCli(["export", "--csv"], env);
    expect(result.code, result.stderr).toBe(0);
    const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
    const quoted = rows.find((r) => r.Email === "quoted@example.com");
    expect(quoted?.Name).toBe('Quinn "Q" O\'Hara, Jr.\nSecond line');
    expect(quoted?.Coder).toBe("Active");
    // One style of header: people's words, as the DX groups beside them.
    expect(Object.keys(quoted ?? {}).slice(0, 5)).toEqual([
      "Email",
      "Coder usernames",
      "Name",
      "Coder account status",
      "Active hours",
    ]);
    expect(rows.map((r) => r.Email)).not.toContain("coder-dx-bot@example.com");
    // Active days are read only for groups that need them: not with the default groups.
    expect(Object.keys(quoted ?? {})).not.toContain("Active days");
    const frequency = join(dirname(env.CODER_DX_CONFIG as string), "frequency.json");
    writeFileSync(frequency, JSON.stringify({ groups: { frequency: {} } }));
    const withDays = await runCli(["export", "--json"], {
      ...env,
      CODER_DX_CONFIG: frequency,
    });
    expect(withDays.code, withDays.stderr).toBe(0);
    const { users } = JSON.parse(withDays.stdout) as { users: Record<string, unknown>[] };
    expect(users.find((u) => u.email === "quoted@example.com")).toMatchObject({
      active_days: expect.any(Number),
      active_weeks: expect.any(Number),
      "Coder usage frequency": expect.any(String),
    });
  });

  it("a partial run exits 3 and the rejected user is planned again next time", async () => {
    coder.updateUser(idOf("heavy"), { status: "active", usageSeconds: 5 * 3600 });
    dx.failingEmails.add("heavy@example.com");
    const partial = await sync([], 3);
    expect(partial).toMatchObject({ status: "partial", counts: { rejected: 1 } });
    dx.failingEmails.clear();
    const retried = await sync();
    expect(retried.counts).toMatchObject({ changed: 1, applied: 1 });
  });

  it("keeps tokens out of the output and the database", async () => {
    const outputs = await Promise.all([
      runCli(["runs", "list", "--json"], env),
      runCli(["audit", "--json", "--limit", "1000"], env),
    ]);
    const file = readFileSync(db).toString("latin1");
    for (const secret of [coder.token, dx.token]) {
      for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(secret);
      expect(file).not.toContain(secret);
    }
  });
});
