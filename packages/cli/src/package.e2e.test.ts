import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Run } from "@coder-dx/core";
import { CoderSimulator, DxSimulator } from "@coder-dx/simulators";
import { afterAll, describe, expect, it } from "vitest";
import { startServe } from "./testing/serve-process";
import { VERSION } from "./version";

const CLI_PACKAGE = fileURLToPath(new URL("..", import.meta.url));

/**
 * What a user gets from `npm install -g` of the packed CLI: a tarball that installs on a clean
 * prefix with better-sqlite3 as its only dependency, and runs. better-sqlite3's native build is
 * its own install step (about 70 s from source here); when npm picks the version the workspace
 * built, the test reuses that binary instead of compiling it again. The Dockerfile does the
 * same install with the build.
 */
describe("the packed CLI", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of cleanup) await close();
  });

  it("installs into an empty prefix and runs --version, doctor, a sync and the server from there", async () => {
    const work = mkdtempSync(join(tmpdir(), "coder-dx-pack-"));
    execFileSync("pnpm", ["pack", "--pack-destination", work], {
      cwd: CLI_PACKAGE,
      stdio: "ignore",
    });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBe(`coder-dx-cli-${VERSION}.tgz`);

    const prefix = join(work, "prefix");
    execFileSync(
      "npm",
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        join(work, tarball as string),
      ],
      { stdio: "ignore" },
    );
    const installed = join(prefix, "lib", "node_modules", "@coder-dx", "cli");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies)).toEqual(["better-sqlite3"]);
    expect(manifest.private).toBeUndefined();
    for (const target of Object.values(manifest.exports) as string[]) {
      expect(existsSync(join(installed, target)), target).toBe(true);
    }
    expect(readdirSync(join(installed, "node_modules")).sort()).not.toContain("@coder-dx");
    // The web console's chart library travels inside the package (no CDN, no extra dependency).
    for (const asset of ["uPlot.iife.min.js", "uPlot.min.css"])
      expect(existsSync(join(installed, "dist", "assets", asset)), asset).toBe(true);
    // The worker threads start from files, and Postgres migrates from its own folder.
    for (const file of [
      "workers/journal.js",
      "workers/pg.js",
      "workers/cohort-series.js",
      "migrations-pg/meta/_journal.json",
      "migrations/meta/_journal.json",
    ])
      expect(existsSync(join(installed, "dist", file)), file).toBe(true);
    provideSqliteBinding(join(installed, "node_modules", "better-sqlite3"), prefix);

    const bin = join(prefix, "bin", "coder-dx");
    const env = { PATH: process.env.PATH ?? "", HOME: work };
    expect(execFileSync(bin, ["--version"], { env, encoding: "utf8" }).trim()).toBe(VERSION);

    const coder = await CoderSimulator.start();
    const dx = await DxSimulator.start();
    cleanup.push(
      () => coder.close(),
      () => dx.close(),
    );
    // Asynchronously: the simulators answer from this process's event loop.
    const { stdout: doctor } = await promisify(execFile)(
      bin,
      ["--db", join(work, "coder-dx.db"), "doctor"],
      {
        cwd: work,
        encoding: "utf8",
        env: {
          ...env,
          CODER_URL: coder.url,
          CODER_SESSION_TOKEN: coder.token,
          DX_API_URL: dx.url,
          DX_API_TOKEN: dx.token,
        },
      },
    );
    expect(doctor).toContain("All checks passed.");
    expect(doctor).not.toContain("✗");

    // A sync that writes (the run's journal is a worker thread) and the server (the console's
    // cohort fold is another), started from the install: neither may need the workspace's tsx.
    for (const username of ["ada", "grace", "linus"]) {
      const user = coder.addUser({ username });
      dx.addUser({ email: user.email });
    }
    const services = {
      ...env,
      CODER_DX_DB: join(work, "coder-dx.db"),
      CODER_URL: coder.url,
      CODER_SESSION_TOKEN: coder.token,
      DX_API_URL: dx.url,
      DX_API_TOKEN: dx.token,
    };
    const { stdout: synced } = await promisify(execFile)(bin, ["sync", "--json"], {
      cwd: work,
      encoding: "utf8",
      env: services,
    });
    const { run } = JSON.parse(synced) as { run: Run };
    expect(run).toMatchObject({ status: "succeeded", counts: { applied: 3 } });
    expect(dx.writes).toHaveLength(3);

    const server = await startServe(
      [],
      { ...services, CODER_DX_API_TOKENS: "viewer:viewer-token-for-the-pack" },
      [bin],
    );
    cleanup.push(async () => {
      await server.stop();
    });
    const runs = await fetch(`${server.url}/v1/runs`, {
      headers: { authorization: "Bearer viewer-token-for-the-pack" },
    });
    expect(runs.status).toBe(200);
    expect(((await runs.json()) as { runs: Run[] }).runs[0]?.id).toBe(run.id);
  }, 300_000);
});

/** The workspace's compiled better-sqlite3 when npm chose the same version; else a build. */
function provideSqliteBinding(installedModule: string, prefix: string): void {
  const installedVersion = JSON.parse(
    readFileSync(join(installedModule, "package.json"), "utf8"),
  ).version;
  const require = createRequire(import.meta.url);
  const workspaceModule = dirname(require.resolve("better-sqlite3/package.json"));
  const workspaceVersion = JSON.parse(
    readFileSync(join(workspaceModule, "package.json"), "utf8"),
  ).version;
  const binding = join("build", "Release", "better_sqlite3.node");
  if (installedVersion === workspaceVersion && existsSync(join(workspaceModule, binding))) {
    mkdirSync(join(installedModule, "build", "Release"), { recursive: true });
    copyFileSync(join(workspaceModule, binding), join(installedModule, binding));
  } else {
    execFileSync("npm", ["rebuild", "--global", "--prefix", prefix, "better-sqlite3"], {
      stdio: "ignore",
    });
  }
}
