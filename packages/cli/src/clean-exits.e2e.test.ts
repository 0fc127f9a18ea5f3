import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aChangeRow } from "@coder-dx/core/testing";
import { openDatabase, SqliteSyncStore } from "@coder-dx/storage";
import { describe, expect, it } from "vitest";
import { VERSION } from "./version";
import { runCli, spawnCli } from "./testing/run-cli";

/** A database with `rows` audit rows: enough output to outlast a pipe's buffer. */
function databaseWithRows(rows: number): string {
  const db = join(mkdtempSync(join(tmpdir(), "coder-dx-exits-")), "coder-dx.db");
  const store = new SqliteSyncStore(openDatabase(db));
  const run = store.startRun({
    trigger: "cli",
    dryRun: false,
    scoped: false,
    startedAt: "2026-11-20T10:00:00.000Z",
  });
  store.insertChanges(
    Array.from({ length: rows }, (_, i) =>
      aChangeRow({ runId: run.id, email: `person${i}@example.com`, outcome: "planned" }),
    ),
  );
  store.close();
  return db;
}

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe("the CLI ends cleanly", () => {
  it("prints its version, and one JSON error document for a failing --json command", async () => {
    const version = await runCli(["--version"], {});
    expect([version.code, version.stdout.trim()]).toEqual([0, VERSION]);

    const db = databaseWithRows(1);
    const bad = await runCli(["--db", db, "audit", "--since", "2026-02-30", "--json"], {});
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({
      error: {
        code: "usage_invalid",
        message:
          '--since "2026-02-30": must be a real date (2026-11-20) or an ISO 8601 time (2026-11-20T10:00:00Z)',
      },
    });
    const missing = await runCli(["--db", db, "runs", "show", "99", "--json"], {});
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error).toEqual({
      code: "not_found",
      message: "no run with id 99",
    });
    expect(missing.stderr).not.toMatch(STACK_FRAME);
    // Credentials in a URL that does not even parse never reach the output.
    const credentials = await runCli(["sync", "--json"], {
      CODER_URL: "https://tok-SECRET-123456@coder.example.com:99999",
      CODER_SESSION_TOKEN: "AbCdEf1234-anything-at-all",
      DX_API_TOKEN: "dx-anything-at-all",
      CODER_DX_DB: db,
    });
    expect(credentials.code).toBe(2);
    expect(JSON.parse(credentials.stdout).error.message).toContain(
      "https://[redacted]@coder.example.com:99999",
    );
    expect(credentials.stdout + credentials.stderr).not.toContain("SECRET");
    // Hints repeat the --db the user gave, so they work when pasted.
    const notANumber = await runCli(["--db", db, "runs", "show", "abc"], {});
    expect(notANumber.stderr).toContain(`(see coder-dx --db ${db} runs list)`);
  });

  it("demo --keep leaves the simulators up and prints the exports that reach them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coder-dx-demo-"));
    const { child, exited } = spawnCli(
      ["--db", join(dir, "demo.db"), "demo", "--people", "40", "--keep"],
      {},
    );
    let stdout = "";
    const exports = await new Promise<Record<string, string>>((resolve) => {
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d;
        if (stdout.includes("Press Ctrl-C")) {
          resolve(
            Object.fromEntries(
              [...stdout.matchAll(/^\s+export ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
            ),
          );
        }
      });
    });
    expect(Object.keys(exports).sort()).toEqual([
      "CODER_DX_API_TOKENS",
      "CODER_DX_DB",
      "CODER_SESSION_TOKEN",
      "CODER_URL",
      "DX_API_TOKEN",
      "DX_API_URL",
    ]);
    expect(stdout).toContain("600/minute");
    const doctor = await runCli(["doctor"], exports as Record<string, string>);
    expect(doctor.stdout).toContain("All checks passed.");
    const runs = await runCli(["runs", "list", "--json"], exports as Record<string, string>);
    // Three syncs, and the hook run Live's step led to.
    expect(JSON.parse(runs.stdout).runs.map((r: { trigger: string }) => r.trigger)).toEqual([
      "hook",
      "cli",
      "cli",
      "cli",
    ]);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("stops quietly when its reader goes away (`audit | head -1`)", async () => {
    const db = databaseWithRows(3000);
    const { child, exited } = spawnCli(["--db", db, "audit", "--limit", "3000", "--json"], {});
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.stdout?.once("data", () => child.stdout?.destroy());
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });
});
