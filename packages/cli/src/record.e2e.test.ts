import { spawn } from "node:child_process";
import { mkdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChangeRow, PlatformxEvent, Run } from "@coder-dx/core";
import { afterEach, describe, expect, it } from "vitest";
import { spawnCli } from "./testing/run-cli";
import { startScenario } from "./testing/scenario";
import { startServe } from "./testing/serve-process";

type Scenario = Awaited<ReturnType<typeof startScenario>>;

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function scenario(people: number, config: Record<string, unknown> = {}) {
  const s = await startScenario({ server: { drainMs: 500 }, ...config });
  cleanup.push(s.close);
  const emails = Array.from(
    { length: people },
    (_, i) => s.person(`member${String(i).padStart(3, "0")}`).email,
  );
  return { s, emails };
}

/** Polls a condition the test itself controls (a gate, a line of output), never a latency. */
async function waitFor(condition: () => boolean, what: string, ms = 20_000) {
  for (const until = Date.now() + ms; !condition(); ) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const runs = async (s: Scenario) =>
  (JSON.parse((await s.cli(["runs", "list", "--json"])).stdout) as { runs: Run[] }).runs;
const changes = async (s: Scenario, runId: string) =>
  (
    JSON.parse((await s.cli(["audit", "--run", runId, "--limit", "1000", "--json"])).stdout) as {
      changes: ChangeRow[];
    }
  ).changes;
const count = (rows: ChangeRow[], outcome: string) =>
  rows.filter((r) => r.outcome === outcome).length;

/** A tmpfs of its own for the database, when this machine lets tests mount one. */
function smallFileSystem(size: string): string | null {
  const dir = join(tmpdir(), `coder-dx-fs-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    rmSync(dir, { recursive: true });
    return null;
  }
  cleanup.push(() => {
    execFileSync("umount", ["-l", dir], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("a CLI sync stopped by a signal", () => {
  it("on Ctrl-C lets the writes in flight land, records them applied, ends interrupted and exits 130", async () => {
    const { s, emails } = await scenario(12, { dx: { concurrency: 2 } });
    const gate = s.dx.faults.gate({ match: /attributes\.update/ });
    const { child, exited } = spawnCli(["sync", "--json"], s.env);
    let stderr = "";
    let stdout = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d;
    });
    await waitFor(
      () =>
        s.dx.writes.length === 0 &&
        s.dx.requests.filter((r) => r.key.includes("attributes")).length === 2,
      "two writes in flight",
    );
    child.kill("SIGINT");
    await waitFor(() => stderr.includes("SIGINT: stopping"), "the stop notice");
    gate.release();
    expect(await exited).toBe(130);
    const { run } = JSON.parse(stdout) as { run: Run };
    expect(run).toMatchObject({ status: "interrupted", counts: { applied: 2 } });
    const rows = await changes(s, run.id);
    expect(count(rows, "applied")).toBe(2);
    expect(count(rows, "skipped")).toBe(10);
    const next = await s.sync();
    expect(next.counts.applied).toBe(10);
    expect(s.dx.writes).toHaveLength(emails.length); // nothing written twice
  });

  it("exits at once on a second Ctrl-C a second later; the next run closes it and confirms the writes DX took", async () => {
    // A drain longer than the wait for the second press: it, not the drain, ends the process.
    const { s, emails } = await scenario(6, {
      dx: { concurrency: 2 },
      server: { drainMs: 20_000 },
    });
    const gate = s.dx.faults.gate({ match: /attributes\.update/ });
    const { child, exited } = spawnCli(["sync"], s.env);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
    });
    await waitFor(
      () => s.dx.requests.filter((r) => r.key.includes("attributes")).length === 2,
      "two writes in flight",
    );
    child.kill("SIGINT");
    await waitFor(() => stderr.includes("SIGINT: stopping"), "the stop notice");
    // A person's second press: later than a wrapper's copy of the first (signals.ts).
    await new Promise((r) => setTimeout(r, 1000));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("SIGINT again: exiting now");
    gate.release(); // DX finishes the two writes the CLI never heard back about
    await waitFor(() => s.dx.writes.length === 2, "DX to take the two writes");
    const next = await s.sync();
    const [latest, abandoned] = await runs(s);
    expect(latest?.id).toBe(next.id);
    expect(abandoned).toMatchObject({ status: "failed", error: { code: "abandoned" } });
    const rows = await changes(s, abandoned?.id as string);
    expect(count(rows, "applied")).toBe(2);
    expect(
      rows.filter((r) => r.outcome === "applied").every((r) => r.note?.includes("read-back")),
    ).toBe(true);
    expect(count(rows, "pending")).toBe(0);
    expect(next.counts.applied).toBe(4);
    expect(s.dx.writes).toHaveLength(emails.length);
  });

  it("takes one Ctrl-C to `pnpm -s coder-dx sync`'s process group (delivered twice) as one stop: writes in flight land, applied, interrupted, exit 130", async () => {
    const { s } = await scenario(8, { dx: { concurrency: 2 } });
    const gate = s.dx.faults.gate({ match: /attributes\.update/ });
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    // Its own process group, as a terminal's foreground job: the signal reaches pnpm and
    // coder-dx, and pnpm forwards it to coder-dx once more.
    const pnpm = spawn("pnpm", ["-s", "coder-dx", "sync", "--json"], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...s.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    cleanup.push(() => pnpm.kill("SIGKILL"));
    let stdout = "";
    let stderr = "";
    pnpm.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    pnpm.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => pnpm.once("exit", resolve));
    await waitFor(
      () => s.dx.requests.filter((r) => r.key.includes("attributes")).length === 2,
      "two writes in flight",
    );
    process.kill(-(pnpm.pid as number), "SIGINT");
    await waitFor(() => stderr.includes("SIGINT: stopping"), "the stop notice");
    gate.release();
    expect(await exited).toBe(130);
    expect(stderr).not.toContain("exiting now");
    const { run } = JSON.parse(stdout) as { run: Run };
    expect(run).toMatchObject({ status: "interrupted", counts: { applied: 2 } });
    const rows = await changes(s, run.id);
    expect(count(rows, "applied")).toBe(s.dx.writes.length);
    expect(count(rows, "pending")).toBe(0);
  });
});

describe("PlatformX's outbox across a kill -9", () => {
  it("keeps an event whose send a killed CLI began unknown, never sends it again, and `coder-dx events` says so", async () => {
    const { s } = await scenario(1, { platformx: { token: "${DX_PLATFORMX_TOKEN}" } });
    const env = { ...s.env, DX_PLATFORMX_TOKEN: s.dx.projectToken };
    expect((await s.cli(["sync"], env)).code).toBe(0); // the first pass: no backfill
    // SCIM suspends member000: no notification; the next pass writes it, and records its event.
    s.coder.updateUser(s.coder.findUser("member000").id, { status: "suspended" });
    const gate = s.dx.faults.gate({ match: /events\.track/ });
    const { child, exited } = spawnCli(["sync"], env);
    await waitFor(
      () => s.dx.requests.some((r) => r.key === "POST /events.track"),
      "the event's send to reach DX",
    );
    child.kill("SIGKILL");
    await exited;
    gate.release(); // DX takes it; the CLI never heard
    await waitFor(() => s.dx.events.length === 1, "DX to take the event");
    expect((await s.cli(["sync"], env)).code).toBe(0);
    expect(s.dx.events).toHaveLength(1);
    const listed = await s.cli(["events", "--json"], env);
    const { events } = JSON.parse(listed.stdout) as { events: PlatformxEvent[] };
    expect(events).toMatchObject([
      {
        name: "coder.user.suspended",
        email: "member000@example.com",
        source: "pass",
        outcome: "unknown",
        attempts: 1,
        error: { code: "interrupted" },
      },
    ]);
    const table = await s.cli(["events", "--outcome", "unknown"], env);
    expect(table.stdout).toMatch(
      /coder\.user\.suspended +member000@example\.com +pass +unknown +1/,
    );
    const csv = await s.cli(["events", "--csv"], env);
    expect(csv.stdout.split("\n")[0]).toBe(
      "id,key,name,email,timestamp,metadata,source,subjectUserId,notificationId,runId,outcome,error,attempts,recordedAt,claimedAt,claimedBy,sentAt",
    );
    for (const output of [listed, table, csv])
      expect(output.stdout).not.toContain(s.dx.projectToken);
  });
});

describe("coder-dx serve under faults", () => {
  it("shuts down within 10 s when a DX write never answers, recording the run interrupted and the write pending", async () => {
    const { s } = await scenario(5, { dx: { concurrency: 1 } });
    s.dx.faults.gate({ match: /attributes\.update/, email: "member001@example.com" }); // never released
    const server = await startServe([], {
      ...s.env,
      CODER_DX_API_TOKENS: "operator:e2e-operator-token",
    });
    cleanup.push(() => (server.child.exitCode === null ? server.stop("SIGKILL") : undefined));
    const post = await fetch(`${server.url}/v1/runs`, {
      method: "POST",
      headers: { authorization: "Bearer e2e-operator-token", "content-type": "application/json" },
      body: "{}",
    });
    const { run } = (await post.json()) as { run: Run };
    await waitFor(
      () =>
        s.dx.requests.some(
          (r) =>
            r.key.includes("attributes") &&
            s.dx.writesTo("member001@example.com").length === 0 &&
            s.dx.writes.length === 1,
        ),
      "the hung write",
    );
    const stopped = await server.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(server.logs()).not.toContain("database connection is not open");
    const [recorded] = await runs(s);
    expect(recorded).toMatchObject({ id: run.id, status: "interrupted", counts: { applied: 1 } });
    const rows = await changes(s, run.id);
    expect(rows.find((r) => r.email === "member001@example.com")).toMatchObject({
      outcome: "pending",
    });
    s.dx.faults.clear();
    const next = await s.sync();
    expect(next.counts.applied).toBe(4); // the hung one never reached DX: written now, once
  });

  it("keeps answering when its disk fills mid-run, and the CLI names the database in one line", async () => {
    const fs = smallFileSystem("2m");
    if (!fs) return console.warn("skipped: this machine does not let tests mount a tmpfs");
    const { s } = await scenario(3);
    const db = join(fs, "coder-dx.db");
    const env = { ...s.env, CODER_DX_DB: db };
    expect((await s.cli(["sync"], env)).code).toBe(0);
    for (let i = 0; i < 400; i++) s.person(`late${String(i).padStart(3, "0")}`);
    const free = statfsSync(fs);
    writeFileSync(
      join(fs, "filler"),
      Buffer.alloc(Math.max(0, free.bavail * free.bsize - 48 * 1024)),
    );

    const cli = await s.cli(["sync"], env);
    expect(cli.code).toBe(1);
    expect(cli.stdout + cli.stderr).toContain(
      `database ${db}: the disk (or the file system holding it) is full`,
    );
    expect(cli.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(s.dx.writes).toHaveLength(3);

    rmSync(join(fs, "filler"));

    // The server: a run that has started when the disk fills up.
    const server = await startServe([], {
      ...env,
      CODER_DX_API_TOKENS: "operator:e2e-operator-token",
    });
    cleanup.push(() => (server.child.exitCode === null ? server.stop("SIGKILL") : undefined));
    const api = async (method: string, path: string) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: "Bearer e2e-operator-token", "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      return { status: response.status, body: (await response.json()) as { run: Run } };
    };
    const finished = async (id: string) => {
      for (let i = 0; i < 200; i++) {
        const { body } = await api("GET", `/v1/runs/${id}`);
        if (body.run.status !== "running") return body.run;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`run ${id} did not end`);
    };
    const reads = s.dx.faults.gate({ match: /users\.list/ });
    const started = await api("POST", "/v1/runs");
    expect(started.status).toBe(202);
    const left = statfsSync(fs);
    writeFileSync(
      join(fs, "filler"),
      Buffer.alloc(Math.max(0, left.bavail * left.bsize - 48 * 1024)),
    );
    reads.release();
    expect(await finished(started.body.run.id)).toMatchObject({
      status: "failed",
      error: { code: "store_failed" },
    });
    expect((await api("GET", "/healthz")).status).toBe(200);
    rmSync(join(fs, "filler"));
    const again = await api("POST", "/v1/runs");
    expect(again.status).toBe(202);
    expect(await finished(again.body.run.id)).toMatchObject({ status: "succeeded" });
    expect((await server.stop("SIGTERM")).code).toBe(0);
    expect(s.dx.writes).toHaveLength(403);
  });
});

describe("a database that cannot be used", () => {
  it("gets one clear error naming the file and exit 2, before any call to Coder or DX", async () => {
    const { s } = await scenario(2);
    const dir = join(tmpdir(), `coder-dx-db-${process.pid}-${Date.now()}`);
    mkdirSync(dir);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const text = join(dir, "notes.txt");
    writeFileSync(text, "these are my notes, not a database\n".repeat(200));
    const missing = join(dir, "missing.db");
    for (const [args, db, message] of [
      [["sync"], text, "not a SQLite database"],
      [["runs", "list"], missing, "no such file; a sync creates it"],
      [["audit"], missing, "no such file"],
    ] as const) {
      const result = await s.cli([...args], { CODER_DX_DB: db });
      expect(result.code, `${args.join(" ")} on ${db}`).toBe(2);
      expect(result.stderr).toContain(`database ${db}: ${message}`);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(s.dx.requests).toHaveLength(0);
    expect(s.coder.requests).toHaveLength(0);
    expect(() => statfsSync(missing)).toThrow(); // a read command never creates it
  });

  it("still serves read commands from a read-only file system, and refuses to sync on it", async () => {
    const fs = smallFileSystem("4m");
    if (!fs) return console.warn("skipped: this machine does not let tests mount a tmpfs");
    const { s } = await scenario(2);
    const env = { ...s.env, CODER_DX_DB: join(fs, "coder-dx.db") };
    expect((await s.cli(["sync"], env)).code).toBe(0);
    execFileSync("mount", ["-o", "remount,ro", fs]);
    const listed = await s.cli(["runs", "list", "--json"], env);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { runs: Run[] }).runs).toHaveLength(1);
    const requests = s.dx.requests.length;
    const refused = await s.cli(["sync"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("read-only");
    expect(s.dx.requests).toHaveLength(requests);
  });
});
